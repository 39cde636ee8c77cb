"""Typed schemas of the breakout and help events (``breakouts`` emits the breakout
ones as dataclasses; each is validated here before it is stored)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from .events import EventData


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


class BreakoutCreated(EventData):
    type: ClassVar[str] = "breakout.created"
    round_id: str
    rooms: list[RoomObject]
    strategy: str
    plan: dict[str, str]
    unplaced: list[UnplacedItem]
    duration_s: int | None
    countdown_s: int
    allow_return: bool
    uncovered: list[dict] = []


class BreakoutPlanned(EventData):
    type: ClassVar[str] = "breakout.planned"
    round_id: str
    changes: list[PlanChangeItem]
    unplaced: list[UnplacedItem]


class BreakoutOpened(EventData):
    type: ClassVar[str] = "breakout.opened"
    round_id: str
    rooms: list[RoomObject]
    ends_at: dt.datetime | None
    strategy: str
    allow_return: bool
    counts: dict[str, int] | None = None
    members: dict[str, list[str]] | None = None


class BreakoutExtended(EventData):
    type: ClassVar[str] = "breakout.extended"
    round_id: str
    ends_at: dt.datetime


class BreakoutClosing(EventData):
    type: ClassVar[str] = "breakout.closing"
    round_id: str
    closes_at: dt.datetime
    late_s: float | None = None


class BreakoutCloseCancelled(EventData):
    type: ClassVar[str] = "breakout.close_cancelled"
    round_id: str
    ends_at: dt.datetime | None


class BreakoutClosed(EventData):
    type: ClassVar[str] = "breakout.closed"
    round_id: str
    late_s: float | None = None
    counts: dict[str, int] | None = None
    members: dict[str, list[str]] | None = None


class BreakoutCancelled(EventData):
    type: ClassVar[str] = "breakout.cancelled"
    round_id: str


class BreakoutUnplaced(EventData):
    type: ClassVar[str] = "breakout.unplaced"
    round_id: str
    person_id: str
    reason: str


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
    BreakoutCreated,
    BreakoutPlanned,
    BreakoutOpened,
    BreakoutExtended,
    BreakoutClosing,
    BreakoutCloseCancelled,
    BreakoutClosed,
    BreakoutCancelled,
    BreakoutUnplaced,
    RoomCounts,
    HelpRequested,
    HelpReceived,
    HelpClaimed,
    HelpMoved,
    HelpResolved,
)
