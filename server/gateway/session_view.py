"""A session as the feed last saw it, for participants' snapshots without a database
read: in a connect storm every arrival stores a ``room.moved`` and a
``presence.joined``, so the shared parts of ``snapshot.SharedParts`` (one per seq)
were re-read every few arrivals; this view instead follows those events.

The view is read once, in one transaction, the way ``snapshot.build`` reads the
database (so it is that read at its seq, by construction), then moved forward by the
feed, event by event. It follows only what it fully understands: arrivals into a
room (``room.moved`` from nowhere), presence, and events no snapshot shows. Anything
else, a gap in the seqs, or an interpreter's arrival (which changes the channels in
the same transaction) ends it; the next handshake reads a new one. Like the shared
parts, a view is used for ``max_age_s`` at most: what changes without an event (an
event's title) is then read again. Staff (few, and they see everyone) always read the database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from ..auth import Role
from ..models import (
    Event,
    InterpretationState,
    Person,
    Placement,
    PresenceLease,
    Session,
    utcnow,
)
from .frames import LogEvent
from .snapshot import BUILT, Miss, ReadOnly, SnapshotPart, _build, active_rooms, build

# what a participant's snapshot takes from the shared parts besides the base (rooms,
# counts), which the view derives from its placements; a part it does not carry is a
# miss, and the snapshot is read from the database
CARRIED = ("session", "round", "help", "channels", "hands")
# stored events that change nothing a snapshot shows
INERT = frozenset({"presence.changed", "broadcast.message", "chat.message"})


@dataclass(frozen=True)
class _Probe:
    """A participant placed nowhere: building its snapshot reads exactly the shared
    parts and nobody's own rows."""

    person_id: None = None
    person: None = None
    role: str = Role.PARTICIPANT
    is_staff: bool = False


@dataclass
class _At:
    """What ``snapshot.build`` reads of the session row besides the memo."""

    id: str
    seq: int
    event_id: str


class SessionView:
    def __init__(
        self,
        s: Session,
        base: dict,
        parts: dict[str, Any],
        placements: dict[str, tuple[str | None, str | None]],
        online: set[str],
        roles: dict[str, str],
        ws_base: str,
        born: float,
    ):
        self.seq = s.seq
        self.session_id, self.event_id = s.id, s.event_id
        self.event, self.rooms = base["event"], base["rooms"]
        self.parts = parts
        self.placements = placements
        self.online = online
        # members and people online per room, kept up to date by ``apply``: a storm
        # asks for them at every new seq, and counting the placements each time was
        # O(people) a seq (py-spy: most of the view's snapshot time at 2,000)
        counted = _counts(placements, online)
        self.counts: dict[str, int] = counted["counts"]
        self.here: dict[str | None, int] = counted["online"]
        self.roles = roles
        self.ws_base = ws_base
        self.born = born
        # the stored channel view changes with arrivals and presence in the same
        # transaction (and later, with listener counts, without an event of its own):
        # past those it is read again, with the seq it is of (``set_channels``)
        self.channels_at = self.seq
        self._memo: dict | None = None  # this seq's memo, built on first use

    # ---- following the log ------------------------------------------------------------------
    def apply(self, ev: LogEvent) -> bool:
        """Move to ``ev`` (the next seq); False: the view cannot follow it."""
        if ev.seq <= self.seq:
            return True
        if ev.seq != self.seq + 1:
            return False
        kind, data = ev.type, ev.data
        if kind in INERT:
            if self.channels_at == self.seq:
                self.channels_at = ev.seq
        elif kind in ("presence.joined", "presence.left", "room.moved"):
            pid = data.get("person_id")
            role = self.roles.get(pid)
            if role is None or role == Role.INTERPRETER:
                return False  # a newcomer, or booths that change with their presence
            if kind == "room.moved":
                if data.get("from_room") is not None:
                    return False  # a real move: hands and channels follow it
                self._arrived(pid, data.get("to_room"))
            elif kind == "presence.joined":
                if pid not in self.online:
                    self.online.add(pid)
                    if pid in self.placements:
                        _add(self.here, self.placements[pid][0], 1)
            elif pid in self.online:
                self.online.discard(pid)
                if pid in self.placements:
                    _add(self.here, self.placements[pid][0], -1)
        else:
            return False
        self.seq = ev.seq
        self._memo = None
        return True

    def _arrived(self, pid: str, room: str | None) -> None:
        had = pid in self.placements
        before, listening = self.placements.get(pid, (None, None))
        self.placements[pid] = (room, listening)
        if had and before is not None:
            _add(self.counts, before, -1)
        if room is not None:
            _add(self.counts, room, 1)
        if pid in self.online:
            if had:
                _add(self.here, before, -1)
            _add(self.here, room, 1)

    # ---- snapshots ----------------------------------------------------------------------------
    def fresh(self, ws_base: str, max_age_s: float) -> bool:
        return self.ws_base == ws_base and time.monotonic() - self.born <= max_age_s

    def _shared(self) -> dict:
        """The memo ``snapshot.build`` reads at this seq: the carried parts, the session
        with its seq, and the rooms' counts from the placements."""
        if self._memo is not None:
            return self._memo
        values: dict[Any, Any] = {key: self.parts[key] for key in CARRIED if key in self.parts}
        if self.channels_at != self.seq:
            values.pop("channels", None)  # a miss, should a snapshot ask for it
        if "session" in values:
            values["session"] = {**values["session"], "seq": self.seq}
        values["base"] = {
            "event": self.event,
            "rooms": self.rooms,
            "counts": dict(self.counts),
            "online": dict(self.here),
        }
        loop = asyncio.get_running_loop()
        memo: dict[Any, asyncio.Future] = {}
        for key, value in values.items():
            memo[key] = loop.create_future()
            memo[key].set_result(value)
        memo[BUILT] = loop.create_future()
        memo[BUILT].set_result(None)
        self._memo = memo
        return memo

    def set_channels(self, seq: int, view: dict | None) -> bool:
        """The stored channel view as read at ``seq`` (with the seq, in one statement);
        False if that is not this view's seq (or there is none stored yet)."""
        if seq != self.seq or view is None:
            return False
        self.parts["channels"] = view
        self.channels_at = seq
        self._memo = None
        return True

    async def snapshot(
        self, caller, large_room: int, ws_base: str, parts: Sequence[SnapshotPart]
    ) -> dict:
        """``caller``'s snapshot at ``self.seq``; raises ``snapshot.Miss`` where the view
        lacks a part, and for staff (they see everyone's rows: read fresh)."""
        if caller.is_staff or caller.person_id is None:
            raise Miss("staff")
        memo = self._shared()
        mine = self.placements.get(caller.person_id, (None, None))
        room = mine[0]
        small = room is not None and self.counts.get(room, 0) <= large_room
        if small and ("members", room) not in memo:  # a large room's are never shown
            members = sorted(p for p, (r, _) in self.placements.items() if r == room)
            fut = memo[("members", room)] = asyncio.get_running_loop().create_future()
            fut.set_result(members)
        at = _At(self.session_id, self.seq, self.event_id)
        return await build(
            None,
            self.session_id,
            caller,
            large_room,
            ws_base,
            memo=ReadOnly(memo),
            s=at,
            mine=mine,
            parts=parts,
        )


async def channels_now(db, session_id: str) -> tuple[int | None, dict | None]:
    """The session's seq and its stored channel view, of one instant."""
    async with db.quick() as q:
        row = (
            await q.execute(
                select(Session.seq, InterpretationState.view)
                .outerjoin(InterpretationState, InterpretationState.session_id == Session.id)
                .where(Session.id == session_id)
            )
        ).first()
    return (row[0], row[1]) if row is not None else (None, None)


async def load(
    db, session_id: str, large_room: int, ws_base: str, parts: Sequence[SnapshotPart]
) -> SessionView | None:
    """The view as of the session's seq now, read in one transaction (None: no such
    session)."""
    born = time.monotonic()
    async with db.read() as tx:
        return await read(tx, session_id, large_room, ws_base, parts, born)


async def read(
    tx, session_id: str, large_room: int, ws_base: str, parts: Sequence[SnapshotPart], born: float
) -> SessionView | None:
    """The view as of ``tx``: everyone's placement, who is online and everyone's role
    (plain rows, through the Core connection: thousands of them), then the shared
    parts exactly as a placeless participant's snapshot reads them, its base (rooms
    and their counts) taken from those rows instead of ``GROUP BY``s."""
    s = await tx.get(Session, session_id)
    if s is None:
        return None
    now = utcnow()
    conn = await tx.connection()
    pl, lease, person = Placement.__table__.c, PresenceLease.__table__.c, Person.__table__.c
    rows = await conn.execute(
        select(pl.person_id, pl.room_id, pl.listening).where(pl.session_id == s.id)
    )
    placements = {pid: (room, listening) for pid, room, listening in rows}
    online = set(
        (await conn.execute(select(lease.person_id).where(lease.session_id == s.id))).scalars()
    )
    people = await conn.execute(select(person.id, person.role).where(person.event_id == s.event_id))
    roles = {pid: role for pid, role in people}
    base = {
        "event": await tx.get(Event, s.event_id),
        "rooms": await active_rooms(tx, s),
        **_counts(placements, online),
    }
    memo: dict = {"base": asyncio.get_running_loop().create_future()}
    memo["base"].set_result(base)
    await _build(tx, s, _Probe(), large_room, ws_base, memo, None, now, parts)
    values = {key: fut.result() for key, fut in memo.items() if key != BUILT and fut.done()}
    carried = {key: values[key] for key in CARRIED if key in values}
    return SessionView(s, base, carried, placements, online, roles, ws_base, born)


def _counts(placements: dict[str, tuple[str | None, str | None]], online: set[str]) -> dict:
    """Members and people online per room, as ``snapshot._counts`` reads them."""
    counts: dict[str, int] = {}
    here: dict[str | None, int] = {}
    for pid, (room, _) in placements.items():
        if room is not None:
            counts[room] = counts.get(room, 0) + 1
        if pid in online:
            here[room] = here.get(room, 0) + 1
    return {"counts": counts, "online": here}


def _add(counts: dict, key, n: int) -> None:
    """``counts[key] += n``, the key gone at zero (as ``_counts`` leaves it out)."""
    v = counts.get(key, 0) + n
    if v:
        counts[key] = v
    else:
        counts.pop(key, None)
