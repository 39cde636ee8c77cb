"""Typed schemas of the breakout and help events: the breakout ones derived from the
dataclasses ``breakouts`` emits (validated here before they are stored), the help
ones written here (only the server makes them)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

import breakouts.events as bo
from breakouts.events import PlanChange
from breakouts.model import RoomSpec, Unplaced

from .events import EventData, derived


class RoomObject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    kind: str
    languages: list[str]
    capacity: int | None = None


class UnplacedItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str
    reason: str


class PlanChangeItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str
    from_room: str | None
    to_room: str | None


LATE = (float | None, None)  # how late a timer fired, when it did
COUNTS = (dict[str, int] | None, None)  # every room's members, on opening and closing
MEMBERS = (dict[str, list[str]] | None, None)  # and who they are, up to a large room
# fields only the server adds (uncovered: rooms whose languages no interpreter covers)
ADDED: dict[str, dict[str, tuple]] = {
    "breakout.created": {"uncovered": (list[dict], [])},
    "breakout.opened": {"counts": COUNTS, "members": MEMBERS},
    "breakout.closing": {"late_s": LATE},
    "breakout.closed": {"late_s": LATE, "counts": COUNTS, "members": MEMBERS},
}
NESTED = {RoomSpec: RoomObject, Unplaced: UnplacedItem, PlanChange: PlanChangeItem}
ROUNDS: tuple[type[EventData], ...] = tuple(
    derived(domain, NESTED, **ADDED.get(type_, {}))
    for type_, domain in bo.EVENT_TYPES.items()
    if type_ != "room.moved"  # with presence's own moves: ``server.events``
)


class RoomCounts(EventData):
    """Members per room after people moved: one event per command, to everyone."""

    type: ClassVar[str] = "room.counts"
    counts: dict[str, int]


class HelpRequested(EventData):
    type: ClassVar[str] = "help.requested"
    help_id: str
    person_id: str
    name: str
    room_id: str | None
    room_name: str | None
    text: str | None = None


class HelpReceived(EventData):
    """To the asker: the moderators have the request."""

    type: ClassVar[str] = "help.received"
    help_id: str


class HelpClaimed(EventData):
    """To the asker and the moderators: a moderator is on the way."""

    type: ClassVar[str] = "help.claimed"
    help_id: str
    person_id: str
    moderator_id: str | None


class HelpMoved(EventData):
    """To the asker and the moderators: an open request followed its asker to another
    room (a round opened or closed, a moderator moved them)."""

    type: ClassVar[str] = "help.moved"
    help_id: str
    person_id: str
    from_room: str | None
    room_id: str
    room_name: str | None


class HelpResolved(EventData):
    type: ClassVar[str] = "help.resolved"
    help_id: str
    person_id: str
    reason: str


SCHEMAS: tuple[type[EventData], ...] = (
    *ROUNDS,
    RoomCounts,
    HelpRequested,
    HelpReceived,
    HelpClaimed,
    HelpMoved,
    HelpResolved,
)
