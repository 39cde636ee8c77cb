"""Immutable values the breakout domain works on.

Functions never mutate these: they return new objects, so the server can keep
the state it loaded, compare, and store only what changed. Mapping fields are
copied on construction so a caller's later edits cannot leak in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    MODERATOR = "moderator"
    INTERPRETER = "interpreter"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


class RoundStatus(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Strategy(StrEnum):
    BALANCED = "balanced"
    BY_LANGUAGE = "by_language"
    WORKING_GROUPS = "working_groups"
    MANUAL = "manual"
    SELF_SELECT = "self_select"


#: Statuses in which a round's rooms are in use (people may be in them).
ACTIVE_STATUSES = frozenset({RoundStatus.OPEN, RoundStatus.CLOSING})

BREAKOUT_KIND = "breakout"


@dataclass(frozen=True)
class Member:
    """A person of the session as the breakout rules see them.

    ``language`` is the language they listen to or need (None: the floor
    language is fine); ``groups`` are working-group (room) names in order of
    preference.
    """

    person_id: str
    role: Role = Role.PARTICIPANT
    language: str | None = None
    groups: tuple[str, ...] = ()
    online: bool = True
    email: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "groups", tuple(self.groups))

    @property
    def is_participant(self) -> bool:
        return self.role is Role.PARTICIPANT


@dataclass(frozen=True)
class RoomDraft:
    """A room as the moderator asks for it, before it has an id."""

    name: str
    languages: tuple[str, ...] = ()
    capacity: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", tuple(self.languages))


@dataclass(frozen=True)
class RoomSpec:
    """A breakout room of one round."""

    id: str
    name: str
    languages: tuple[str, ...] = ()
    capacity: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", tuple(self.languages))

    @property
    def kind(self) -> str:
        return BREAKOUT_KIND

    def public(self) -> dict:
        """The room object of the public contract (JSON-ready)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "languages": list(self.languages),
            "capacity": self.capacity,
        }


@dataclass(frozen=True)
class Unplaced:
    """A participant a strategy could not place correctly, and why."""

    person_id: str
    reason: str

    def public(self) -> dict:
        return {"person_id": self.person_id, "reason": self.reason}


@dataclass(frozen=True)
class Assignment:
    """What a strategy proposes: planned rooms, and who it could not place."""

    plan: dict[str, str] = field(default_factory=dict)
    unplaced: list[Unplaced] = field(default_factory=list)


@dataclass(frozen=True)
class Round:
    """One breakout round of a session.

    ``plan`` maps planned participants to room ids; people not in it stay in
    the plenary when the round opens. ``floor_language`` is the event's floor
    language when the round was planned (late joiners are placed against it).
    Instants are aware UTC datetimes.
    """

    id: str
    session_id: str
    strategy: Strategy
    rooms: tuple[RoomSpec, ...]
    status: RoundStatus = RoundStatus.PLANNED
    plan: Mapping[str, str] = field(default_factory=dict)
    unplaced: tuple[Unplaced, ...] = ()
    duration_s: int | None = None
    countdown_s: int = 60
    allow_return: bool = True
    floor_language: str | None = None
    created_at: datetime | None = None
    opened_at: datetime | None = None
    ends_at: datetime | None = None
    closes_at: datetime | None = None
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategy", Strategy(self.strategy))
        object.__setattr__(self, "status", RoundStatus(self.status))
        object.__setattr__(self, "rooms", tuple(self.rooms))
        object.__setattr__(self, "plan", dict(self.plan))
        object.__setattr__(self, "unplaced", tuple(self.unplaced))

    @property
    def room_ids(self) -> frozenset[str]:
        return frozenset(room.id for room in self.rooms)

    @property
    def is_active(self) -> bool:
        """True while its rooms are in use (open or counting down to close)."""
        return self.status in ACTIVE_STATUSES

    def room(self, room_id: str) -> RoomSpec | None:
        for room in self.rooms:
            if room.id == room_id:
                return room
        return None

    def planned_members(self, room_id: str) -> tuple[str, ...]:
        return tuple(pid for pid, rid in self.plan.items() if rid == room_id)


class Placement(Mapping[str, str]):
    """Where everyone of a session is now: person id -> room id.

    The plenary is a room too, so every person present (online or not) is in
    exactly one room; a mapping makes "two rooms at once" unrepresentable.
    It holds everyone who has joined at least once, online or not, so people
    offline keep the room they belong in. People who never joined are absent
    (``room_id`` null); opening a round adds its planned members anyway.
    """

    __slots__ = ("_where",)

    def __init__(self, where: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._where: dict[str, str] = dict(where)

    def __getitem__(self, person_id: str) -> str:
        return self._where[person_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __repr__(self) -> str:
        return f"Placement({self._where!r})"

    def moved(self, changes: Mapping[str, str]) -> Placement:
        """A new placement with ``changes`` (person id -> new room id) applied."""
        return Placement({**self._where, **changes})

    def members_of(self, room_id: str) -> tuple[str, ...]:
        return tuple(pid for pid, rid in self._where.items() if rid == room_id)

    def by_room(self) -> dict[str, tuple[str, ...]]:
        """Room id -> its people: the rooms' view; its union is the moderators' view."""
        rooms: dict[str, list[str]] = {}
        for pid, rid in self._where.items():
            rooms.setdefault(rid, []).append(pid)
        return {rid: tuple(pids) for rid, pids in rooms.items()}


def index_members(members: Iterable[Member] | Mapping[str, Member]) -> dict[str, Member]:
    """Members by person id, accepting either a sequence or a mapping."""
    if isinstance(members, Mapping):
        return dict(members)
    return {member.person_id: member for member in members}


def normalise_name(name: str) -> str:
    """Names (of people, rooms, groups) compare case-insensitively, spaces collapsed,
    after Unicode normalisation (NFKC: "é" typed as one or two code points, or a
    full-width letter, is the same name)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())
