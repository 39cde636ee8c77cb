"""The state of interpretation in one session, as immutable values.

Transitions never mutate a ``SessionInterpretation``; they build a new one (see
``transition``). Everything here is plain data the server can store and reload with
``serialization``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Literal, NamedTuple

from .languages import Interpreter
from .sources import Source

RoomKind = Literal["plenary", "breakout"]
HandoverReason = Literal["request", "dropout"]


class ChannelKey(NamedTuple):
    room_id: str
    language: str


@dataclass(frozen=True)
class Room:
    """A room and the language now spoken on its floor.

    ``carries`` lists a breakout room's own languages; the plenary carries every
    language of the event, so it leaves this empty.
    """

    room_id: str
    kind: RoomKind
    floor_language: str
    carries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Live:
    """Who is on air on a channel, and since when.

    ``since`` starts the accounting segment (per language); ``turn_since`` starts
    the continuous turn, which survives a move to the retour channel.
    """

    person_id: str
    since: datetime
    turn_since: datetime
    turns_due: int = 0


@dataclass(frozen=True)
class Channel:
    room_id: str
    language: str
    live: Live | None = None
    source: Source | None = None

    @property
    def key(self) -> ChannelKey:
        return ChannelKey(self.room_id, self.language)

    @property
    def on_air(self) -> str | None:
        return self.live.person_id if self.live else None


@dataclass(frozen=True)
class Member:
    """A person of the event as interpretation sees them.

    ``room_id`` is where they belong (kept while offline); ``listening`` is the
    channel language they hear now, ``None`` for people who listen to nothing
    (observers, interpreters until they choose); ``chosen`` is the language they
    chose, kept when they move: ``listening`` is ``chosen`` wherever their room
    has that channel, else the event floor language.
    """

    person_id: str
    room_id: str | None = None
    online: bool = False
    listening: str | None = None
    chosen: str | None = None

    # ``replace(self, room_id=...)`` and ``replace(self, listening=...)``, built
    # directly: ``dataclasses.replace`` walks the fields on every call (~3 us against
    # ~1.2 us), and a round opening or closing moves a thousand people.
    def in_room(self, room_id: str | None) -> Member:
        return Member(self.person_id, room_id, self.online, self.listening, self.chosen)

    def hearing(self, listening: str | None) -> Member:
        return Member(self.person_id, self.room_id, self.online, listening, self.chosen)


@dataclass(frozen=True)
class HandoverRequest:
    request_id: str
    room_id: str
    language: str
    from_id: str
    to_id: str
    requested_at: datetime
    expires_at: datetime
    reason: HandoverReason = "request"

    @property
    def key(self) -> ChannelKey:
        return ChannelKey(self.room_id, self.language)


@dataclass(frozen=True)
class ResolvedHandover:
    """How the last request of a channel ended, for clear 409s on late accepts."""

    request_id: str
    to_id: str
    outcome: Literal["accepted", "expired", "cancelled"]
    at: datetime


@dataclass(frozen=True)
class PendingDropout:
    """A live interpreter whose connections all dropped; fires at ``due``."""

    person_id: str
    room_id: str
    language: str
    due: datetime


@dataclass(frozen=True)
class OnAirSegment:
    person_id: str
    room_id: str
    language: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ListenerSample:
    at: datetime
    room_id: str
    language: str
    listeners: int


@dataclass(frozen=True)
class Settings:
    """Per-event timings (seconds); the contract's defaults."""

    handover_timeout_s: float = 30.0
    dropout_grace_s: float = 10.0
    turn_s: float = 1800.0


@dataclass(frozen=True)
class SessionInterpretation:
    """Channels, booths, listeners, handovers and on-air history of one session."""

    plenary_id: str
    floor_language: str
    languages: tuple[str, ...]
    rooms: Mapping[str, Room]
    channels: Mapping[ChannelKey, Channel]
    interpreters: Mapping[str, Interpreter] = field(default_factory=dict)
    members: Mapping[str, Member] = field(default_factory=dict)
    handovers: Mapping[ChannelKey, HandoverRequest] = field(default_factory=dict)
    resolved: Mapping[ChannelKey, ResolvedHandover] = field(default_factory=dict)
    dropouts: Mapping[str, PendingDropout] = field(default_factory=dict)
    segments: tuple[OnAirSegment, ...] = ()
    samples: tuple[ListenerSample, ...] = ()
    handover_count: int = 0
    settings: Settings = field(default_factory=Settings)

    @property
    def event_languages(self) -> tuple[str, ...]:
        """The floor language first, then the interpretation languages."""
        return (self.floor_language, *self.languages)

    def room_languages(self, room_id: str) -> tuple[str, ...]:
        """Channel languages of a room, in display order."""
        room = self.rooms[room_id]
        if room.kind == "plenary":
            return self.event_languages
        return (self.floor_language, *(lang for lang in self.languages if lang in room.carries))

    @cached_property
    def listener_counts(self) -> Mapping[ChannelKey, int]:
        """Listeners per channel (read by ``views.all_listener_counts``), counted once
        per state: a state is never changed, and a round's follower read the counts of
        the same states six or seven times (1,000 members each). Not to be mutated."""
        # plain tuples: a ChannelKey is one, of the same hash, and building a named
        # tuple per member cost twice the count
        heard = Counter((m.room_id, m.listening) for m in self.members.values())
        return {key: heard.get(key, 0) for key in self.channels}

    def live_channel_of(self, person_id: str) -> Channel | None:
        """The channel a person is on air on (at most one, by invariant)."""
        for channel in self.channels.values():
            if channel.on_air == person_id:
                return channel
        return None


def with_samples(
    state: SessionInterpretation, samples: tuple[ListenerSample, ...]
) -> SessionInterpretation:
    """``replace(state, samples=samples)``, keeping the listener counts already
    counted (the members and channels are the same objects)."""
    new = replace(state, samples=samples)
    if "listener_counts" in state.__dict__:
        new.__dict__["listener_counts"] = state.listener_counts
    return new
