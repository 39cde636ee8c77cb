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
from typing import Any, ClassVar

from .views import ChannelView

SESSION = "session"
MODERATORS = "moderators"


def person(person_id: str) -> str:
    return f"person:{person_id}"


def room(room_id: str) -> str:
    return f"room:{room_id}"


def channel(room_id: str, language: str) -> str:
    return f"channel:{room_id}:{language}"


def persons(*person_ids: str | None) -> tuple[str, ...]:
    """Person targets without duplicates or ``None``s, in the given order."""
    return tuple(dict.fromkeys(person(pid) for pid in person_ids if pid is not None))


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


class Event:
    """Base of the domain events (see the module docstring)."""

    type: ClassVar[str]
    audience: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class ChannelUpdated(Event):
    """A channel's on-air person, source or booth changed, or it appeared or went away."""

    type: ClassVar[str] = "channel.updated"
    room_id: str
    channel: ChannelView
    removed: bool = False
    audience: tuple[str, ...] = (SESSION,)

    def data(self) -> dict[str, Any]:
        return {"room_id": self.room_id, "channel": self.channel.as_dict(), "removed": self.removed}


@dataclass(frozen=True)
class FloorLanguage(Event):
    type: ClassVar[str] = "floor.language"
    room_id: str
    language: str
    previous: str
    audience: tuple[str, ...] = (SESSION,)

    def data(self) -> dict[str, Any]:
        return {"room_id": self.room_id, "language": self.language, "previous": self.previous}


@dataclass(frozen=True)
class HandoverRequested(Event):
    """Tells only the asked partner (and the requester, for their own screen)."""

    type: ClassVar[str] = "handover.requested"
    request_id: str
    room_id: str
    language: str
    from_id: str
    to_id: str
    expires_at: datetime
    reason: str
    audience: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "room_id": self.room_id,
            "language": self.language,
            "from": self.from_id,
            "to": self.to_id,
            "expires_at": self.expires_at,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class HandoverCompleted(Event):
    type: ClassVar[str] = "handover.completed"
    request_id: str
    room_id: str
    language: str
    from_id: str
    to_id: str
    audience: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "room_id": self.room_id,
            "language": self.language,
            "from": self.from_id,
            "to": self.to_id,
        }


@dataclass(frozen=True)
class HandoverExpired(Event):
    """Not accepted in time; whoever was live stays live."""

    type: ClassVar[str] = "handover.expired"
    request_id: str
    room_id: str
    language: str
    from_id: str
    to_id: str
    audience: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "room_id": self.room_id,
            "language": self.language,
            "from": self.from_id,
            "to": self.to_id,
        }


@dataclass(frozen=True)
class HandoverCancelled(Event):
    """A pending request that can no longer happen (superseded, requester off air, ...)."""

    type: ClassVar[str] = "handover.cancelled"
    request_id: str
    room_id: str
    language: str
    from_id: str
    to_id: str
    reason: str
    audience: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "room_id": self.room_id,
            "language": self.language,
            "from": self.from_id,
            "to": self.to_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ChannelUncovered(Event):
    """A channel with listeners and no source: moderators hear of it before silence."""

    type: ClassVar[str] = "channel.uncovered"
    room_id: str
    language: str
    listeners: int
    reason: str
    audience: tuple[str, ...] = (MODERATORS,)

    def data(self) -> dict[str, Any]:
        return {
            "room_id": self.room_id,
            "language": self.language,
            "listeners": self.listeners,
            "reason": self.reason,
        }


RESTORED = "channel_available"


@dataclass(frozen=True)
class ListeningChanged(Event):
    """The channel a person hears; ``fallback_reason`` (and the ``requested`` choice)
    when it is not what they chose, ``reason`` ``channel_available`` when a move
    gives them back their choice (their language kept while it had no channel)."""

    type: ClassVar[str] = "listening.changed"
    person_id: str
    room_id: str | None
    language: str
    fallback_reason: str | None
    requested: str | None
    audience: tuple[str, ...]
    reason: str | None = None

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "person_id": self.person_id,
            "room_id": self.room_id,
            "language": self.language,
        }
        if self.fallback_reason is not None:
            data["fallback_reason"] = self.fallback_reason
            data["requested"] = self.requested
        elif self.reason is not None:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True)
class ListenersChanged(Event):
    """Listener counts of one room (coalesced: at most one a second per room)."""

    type: ClassVar[str] = "listeners.changed"
    room_id: str
    counts: Mapping[str, int]
    audience: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        return {"room_id": self.room_id, "counts": dict(self.counts)}


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

    def data(self) -> dict[str, Any]:
        return {
            "room_id": self.room_id,
            "language": self.language,
            "person_id": self.person_id,
            "partner_id": self.partner_id,
            "on_air_s": self.on_air_s,
        }


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
