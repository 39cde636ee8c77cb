"""An attendance tally as plain attributes, the arithmetic of its seconds, and the
moves counted later: what the follower (``attendance``) and the reports
(``attendance_reports``) share."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from typing import NamedTuple

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..models import AttendanceTally, EventRecord, Session

MOVES = frozenset({"room.moved", "listening.changed"})

_TABLE = AttendanceTally.__table__
COLUMNS = tuple(c.name for c in _TABLE.c)
KEYS = ("session_id", "person_id")
# ``Tally.__init__`` unpacks a row in this order: a new column must be added there too
_ORDER = (
    *KEYS,
    "online",
    "room_id",
    "language",
    "counting_since",
    "first_seen",
    "last_seen",
    "online_s",
    "rooms",
    "listened",
    "hands",
    "help",
    "messages",
)
if COLUMNS != _ORDER:
    raise RuntimeError(f"attendance_tallies columns changed: {COLUMNS}")


class Tally:
    """One ``attendance_tallies`` row as plain attributes: a round opening moves a
    thousand people, and an attribute set on an ORM row (about 3 us each, six per
    move) plus the unit of work's flush of a thousand objects cost more than the
    one executemany UPDATE that stores them (issue 19)."""

    __slots__ = (*COLUMNS, "_stored")

    def __init__(self, values: tuple, stored: bool):
        """``values``: the row's columns in table order (``COLUMNS``; unpacked in one
        statement: a ``setattr`` loop cost 25 times as much)."""
        (
            self.session_id,
            self.person_id,
            self.online,
            self.room_id,
            self.language,
            self.counting_since,
            self.first_seen,
            self.last_seen,
            self.online_s,
            self.rooms,
            self.listened,
            self.hands,
            self.help,
            self.messages,
        ) = values
        self._stored = tuple(values) if stored else None

    def values(self) -> tuple:
        return tuple(getattr(self, c) for c in COLUMNS)

    def row(self) -> dict:
        return {c: getattr(self, c) for c in COLUMNS}


@functools.cache
def _defaults() -> tuple:
    """The table's defaults in column order, read from one model instance: an instance
    per new tally cost 150 us against 4 for the tally (timeit, shared machine), and
    was a quarter of storing a connect storm's arrivals (py-spy)."""
    blank = AttendanceTally(session_id="", person_id="")
    return tuple(getattr(blank, c) for c in COLUMNS)


def new_tally(**values) -> Tally:
    """A tally not stored yet, with the table's defaults (a JSON default copied: no
    two tallies share one)."""
    return Tally(
        tuple(
            values[c] if c in values else (copy.copy(d) if isinstance(d, dict | list) else d)
            for c, d in zip(COLUMNS, _defaults(), strict=True)
        ),
        stored=False,
    )


_LOG = EventRecord.__table__


class Stored(NamedTuple):
    """A deferred move as the log stored it."""

    seq: int
    type: str
    data: dict
    at: dt.datetime


def settle(t: Tally, at: dt.datetime, floor: str) -> None:
    """Add the seconds since ``counting_since`` to the person, their room and channel."""
    if t.counting_since is None:
        return
    s = max(0.0, (at - t.counting_since).total_seconds())
    t.online_s += s
    rooms, listened = dict(t.rooms), dict(t.listened)  # new objects: JSON columns see it
    room, lang = t.room_id or "", t.language or floor
    rooms[room] = rooms.get(room, 0.0) + s
    listened[lang] = listened.get(lang, 0.0) + s
    t.rooms, t.listened = rooms, listened
    t.counting_since = max(at, t.counting_since)
    t.last_seen = t.counting_since


def start(t: Tally, at: dt.datetime) -> None:
    t.counting_since = at
    t.first_seen = t.first_seen or at
    t.last_seen = at


def stop(t: Tally, at: dt.datetime, floor: str) -> None:
    settle(t, at, floor)
    t.counting_since = None


async def deferred_moves(tx: AsyncSession, s: Session, before: int) -> list[Stored]:
    """The moves ``follow`` deferred, stored before seq ``before``, in seq order."""
    if s.attendance_from is None:
        return []
    rows = await tx.execute(
        select(_LOG.c.seq, _LOG.c.type, _LOG.c.data, _LOG.c.at)
        .where(
            _LOG.c.session_id == s.id,
            _LOG.c.seq >= s.attendance_from,
            _LOG.c.seq < before,
            _LOG.c.type.in_(sorted(MOVES)),
        )
        .order_by(_LOG.c.seq)
    )
    return [Stored(*r) for r in rows.all()]


def move(t: Tally, rec, floor: str) -> None:
    """A ``room.moved`` or ``listening.changed`` of the tally's person."""
    settle(t, rec.at, floor)
    if rec.type == "room.moved":
        t.room_id = rec.data.get("to_room")
    else:
        t.language = rec.data.get("language")


async def pending_moves(tx: AsyncSession, s: Session) -> list[Stored]:
    """The moves not counted yet, for a report that counts them without writing."""
    return await deferred_moves(tx, s, before=s.seq + 1)
