"""Domain events: one frozen dataclass per type, with its audience.

The server stores each event with a per-session ``seq`` and delivers it to the
audience targets: ``session``, ``moderators`` (moderators and observers),
``room:<room_id>``, ``person:<person_id>`` and ``channel:<room_id>:<lang>``
(the interpreters of that booth who are in that room). ``data()`` is the JSON
payload: ids are strings, instants aware UTC datetimes for the server to format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from domain.audience import MODERATORS, SESSION, channel, room
from domain.events import Event as DomainEvent

from .views import ChannelView


def channel_audience(state, room_id: str) -> tuple[str, ...]:
    """Who hears of a change to a room's channels. The plenary's channels concern
    everyone. A breakout room's concern its members and the moderators (observers,
    media servers) only: a participant holds the plenary's channels and their own
    room's, so opening a round of 100 rooms is not 100 channel frames per client.
    A room that did not exist before this step has no members yet: they learn its
    channels with their own ``room.moved`` into it (the server attaches them)."""
    rooms = state.rooms
    if room_id in rooms and rooms[room_id].kind == "plenary":
        return (SESSION,)
    return (MODERATORS, room(room_id))


class Event(DomainEvent):
    """Base of the interpretation events (see the module docstring)."""


@dataclass(frozen=True)
class _Handover(Event):
    """A handover's payload names its two interpreters ``from`` and ``to``."""

    wire_names: ClassVar[Mapping[str, str]] = {"from_id": "from", "to_id": "to"}
    request_id: str
    room_id: str
    language: str
    from_id: str
    to_id: str


@dataclass(frozen=True)
class ChannelUpdated(Event):
    """A channel's on-air person, source or booth changed, or it appeared or went away."""

    type: ClassVar[str] = "channel.updated"
    room_id: str
    channel: ChannelView
    removed: bool = False
    audience: tuple[str, ...] = (SESSION,)


@dataclass(frozen=True)
class FloorLanguage(Event):
    type: ClassVar[str] = "floor.language"
    room_id: str
    language: str
    previous: str
    audience: tuple[str, ...] = (SESSION,)


@dataclass(frozen=True)
class HandoverRequested(_Handover):
    """Tells only the asked partner (and the requester, for their own screen)."""

    type: ClassVar[str] = "handover.requested"
    expires_at: datetime
    reason: Literal["request", "dropout"]
    audience: tuple[str, ...]


@dataclass(frozen=True)
class HandoverCompleted(_Handover):
    type: ClassVar[str] = "handover.completed"
    audience: tuple[str, ...]


@dataclass(frozen=True)
class HandoverExpired(_Handover):
    """Not accepted in time; whoever was live stays live."""

    type: ClassVar[str] = "handover.expired"
    audience: tuple[str, ...]


@dataclass(frozen=True)
class HandoverCancelled(_Handover):
    """A pending request that can no longer happen (superseded, requester off air, ...)."""

    type: ClassVar[str] = "handover.cancelled"
    reason: str
    audience: tuple[str, ...]


@dataclass(frozen=True)
class ChannelUncovered(Event):
    """A channel with listeners and no source: moderators hear of it before silence."""

    type: ClassVar[str] = "channel.uncovered"
    room_id: str
    language: str
    listeners: int
    reason: str
    audience: tuple[str, ...] = (MODERATORS,)


RESTORED = "channel_available"


@dataclass(frozen=True)
class ListeningChanged(Event):
    """The channel a person hears; ``fallback_reason`` (and the ``requested`` choice)
    when it is not what they chose, ``reason`` ``channel_available`` when a move
    gives them back their choice (their language kept while it had no channel)."""

    type: ClassVar[str] = "listening.changed"
    omitted_when_none: ClassVar[frozenset[str]] = frozenset(
        {"fallback_reason", "requested", "reason"}
    )
    person_id: str
    room_id: str | None
    language: str
    fallback_reason: str | None
    requested: str | None
    audience: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class ListenersChanged(Event):
    """Listener counts of one room (coalesced: at most one a second per room)."""

    type: ClassVar[str] = "listeners.changed"
    room_id: str
    counts: Mapping[str, int]
    audience: tuple[str, ...]


@dataclass(frozen=True)
class TurnDue(Event):
    """A live interpreter is past their turn; they and their partner are told (and
    the moderators, when no partner is connected)."""

    type: ClassVar[str] = "turn.due"
    room_id: str
    language: str
    person_id: str
    partner_id: str | None
    on_air_s: int
    audience: tuple[str, ...]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        ChannelUpdated,
        FloorLanguage,
        HandoverRequested,
        HandoverCompleted,
        HandoverExpired,
        HandoverCancelled,
        ChannelUncovered,
        ListeningChanged,
        ListenersChanged,
        TurnDue,
    )
}


def listeners_changed(room_id: str, counts: Mapping[str, int]) -> ListenersChanged:
    """Counts go to the moderators and to each booth of that room."""
    audience = (MODERATORS, *(channel(room_id, lang) for lang in counts))
    return ListenersChanged(room_id, dict(counts), audience)
