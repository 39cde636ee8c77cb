"""Domain events: what happened, to whom it must be told, and its payload.

Typed where they are made, so a payload cannot drift from its schema. The
server stores each event with its ``seq``, routes it to ``audience`` and
serialises ``data()`` (ids are str; instants are aware UTC datetimes, which
the server renders as ISO 8601 with ``Z``).

Audience targets: ``"session"`` (everyone), ``"moderators"`` (moderators and
observers), ``"room:<room_id>"`` (people in that room as of that event),
``"person:<person_id>"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from domain.audience import MODERATORS, person, room
from domain.events import Event as DomainEvent

from .model import RoomSpec, Unplaced


@dataclass(frozen=True)
class Event(DomainEvent):
    """Base of every breakout event: the audience first, then the payload's fields."""

    audience: tuple[str, ...]


@dataclass(frozen=True)
class RoomMoved(Event):
    """Someone changed room; told to them, the moderators and both rooms."""

    type: ClassVar[str] = "room.moved"
    person_id: str
    from_room: str | None  # None: they just arrived
    to_room: str

    @classmethod
    def make(cls, person_id: str, from_room: str, to_room: str) -> RoomMoved:
        audience = (person(person_id), MODERATORS, room(from_room), room(to_room))
        return cls(audience, person_id, from_room, to_room)

    @classmethod
    def arrived(cls, person_id: str, plenary_id: str) -> RoomMoved:
        """Into the plenary from nowhere: a first arrival (or their room is gone)."""
        return cls((person(person_id), MODERATORS, room(plenary_id)), person_id, None, plenary_id)


@dataclass(frozen=True)
class BreakoutCreated(Event):
    """A round was planned; only moderators see plans."""

    type: ClassVar[str] = "breakout.created"
    round_id: str
    rooms: tuple[RoomSpec, ...]
    strategy: str
    plan: Mapping[str, str]
    unplaced: tuple[Unplaced, ...]
    duration_s: int | None
    countdown_s: int
    allow_return: bool


@dataclass(frozen=True)
class PlanChange:
    """One planned person's room before and after (None: stays in the plenary)."""

    person_id: str
    from_room: str | None
    to_room: str | None

    def public(self) -> dict:
        return {"person_id": self.person_id, "from_room": self.from_room, "to_room": self.to_room}


@dataclass(frozen=True)
class BreakoutPlanned(Event):
    """Planned assignments changed before opening; moderators only."""

    type: ClassVar[str] = "breakout.planned"
    round_id: str
    changes: tuple[PlanChange, ...]
    unplaced: tuple[Unplaced, ...]


@dataclass(frozen=True)
class BreakoutOpened(Event):
    """The round is open: one ``ends_at`` (or None) for every client alike."""

    type: ClassVar[str] = "breakout.opened"
    round_id: str
    rooms: tuple[RoomSpec, ...]
    ends_at: datetime | None
    strategy: str
    allow_return: bool


@dataclass(frozen=True)
class BreakoutExtended(Event):
    type: ClassVar[str] = "breakout.extended"
    round_id: str
    ends_at: datetime


@dataclass(frozen=True)
class BreakoutClosing(Event):
    """The countdown to close started; everyone is back in the plenary at ``closes_at``."""

    type: ClassVar[str] = "breakout.closing"
    round_id: str
    closes_at: datetime


@dataclass(frozen=True)
class BreakoutCloseCancelled(Event):
    """The countdown was called off; the round stays open until ``ends_at``."""

    type: ClassVar[str] = "breakout.close_cancelled"
    round_id: str
    ends_at: datetime | None


@dataclass(frozen=True)
class BreakoutClosed(Event):
    type: ClassVar[str] = "breakout.closed"
    round_id: str


@dataclass(frozen=True)
class BreakoutCancelled(Event):
    """A planned round was dropped before it opened."""

    type: ClassVar[str] = "breakout.cancelled"
    round_id: str


@dataclass(frozen=True)
class BreakoutUnplaced(Event):
    """A latecomer the round's strategy could not place; moderators decide."""

    type: ClassVar[str] = "breakout.unplaced"
    round_id: str
    person_id: str
    reason: str


#: Every event type this package emits, by its wire name.
EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        RoomMoved,
        BreakoutCreated,
        BreakoutPlanned,
        BreakoutOpened,
        BreakoutExtended,
        BreakoutClosing,
        BreakoutCloseCancelled,
        BreakoutClosed,
        BreakoutCancelled,
        BreakoutUnplaced,
    )
}
