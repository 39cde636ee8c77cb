"""Read models: the contract's channel objects, booths and listener counts.

The same functions build ``GET /channels``, the snapshot and the payload of
``channel.updated``, so a client that applies the events ends where a fresh
snapshot is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .sources import Source
from .state import ChannelKey, SessionInterpretation


@dataclass(frozen=True)
class BoothSeat:
    person_id: str
    live: bool


@dataclass(frozen=True)
class ChannelView:
    """One channel as the contract shows it."""

    language: str
    on_air: str | None
    source: Source | None
    listeners: int
    booth: tuple[BoothSeat, ...]

    def public(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "on_air": self.on_air,
            "source": self.source.public() if self.source else None,
            "listeners": self.listeners,
            "booth": [{"person_id": s.person_id, "live": s.live} for s in self.booth],
        }

    def routing(self) -> tuple[object, ...]:
        """Everything but the listener count (which travels in ``listeners.changed``)."""
        return (self.language, self.on_air, self.source, self.booth)

    @classmethod
    def removed(cls, language: str) -> ChannelView:
        return cls(language, None, None, 0, ())


def booth(state: SessionInterpretation, room_id: str, language: str) -> list[str]:
    """Interpreters in ``room_id`` with a direction into ``language``, by id."""
    return sorted(
        pid
        for pid, interpreter in state.interpreters.items()
        if interpreter.works_into(language)
        and (member := state.members.get(pid)) is not None
        and member.room_id == room_id
    )


def all_listener_counts(state: SessionInterpretation) -> Mapping[ChannelKey, int]:
    """Listeners per channel: the members in a room whose chosen language is a channel
    (counted once per state, see ``SessionInterpretation.listener_counts``)."""
    return state.listener_counts


def listener_counts(
    state: SessionInterpretation, room_id: str, counts: Mapping[ChannelKey, int] | None = None
) -> dict[str, int]:
    """``{language: listeners}`` of one room, in channel order (``listeners.changed``)."""
    counts = all_listener_counts(state) if counts is None else counts
    return {lang: counts[ChannelKey(room_id, lang)] for lang in state.room_languages(room_id)}


def channel_view(
    state: SessionInterpretation, key: ChannelKey, counts: Mapping[ChannelKey, int] | None = None
) -> ChannelView:
    channel = state.channels[key]
    counts = all_listener_counts(state) if counts is None else counts
    seats = tuple(
        BoothSeat(pid, pid == channel.on_air) for pid in booth(state, key.room_id, key.language)
    )
    return ChannelView(key.language, channel.on_air, channel.source, counts.get(key, 0), seats)


def room_view(
    state: SessionInterpretation, room_id: str, counts: Mapping[ChannelKey, int] | None = None
) -> dict[str, Any]:
    """``{room_id, kind, floor_language, channels}``; the server adds the room name.
    ``counts``: all rooms' listener counts, when the caller views several rooms (one
    pass over the members instead of one per room)."""
    room = state.rooms[room_id]
    counts = all_listener_counts(state) if counts is None else counts
    return {
        "room_id": room_id,
        "kind": room.kind,
        "floor_language": room.floor_language,
        "channels": [
            channel_view(state, ChannelKey(room_id, lang), counts).public()
            for lang in state.room_languages(room_id)
        ],
    }


def channels_view(state: SessionInterpretation) -> dict[str, Any]:
    """The body of ``GET /api/sessions/{id}/channels`` (plenary first)."""
    order = [state.plenary_id, *(rid for rid in state.rooms if rid != state.plenary_id)]
    counts = all_listener_counts(state)
    return {"rooms": [room_view(state, rid, counts) for rid in order]}


def uncovered_channels(state: SessionInterpretation, room_id: str) -> list[str]:
    """Languages of a room's channels that have no source now."""
    return [
        lang
        for lang in state.room_languages(room_id)
        if state.channels[ChannelKey(room_id, lang)].source is None
    ]
