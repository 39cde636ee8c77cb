"""A session's breakout state as the commands see it: loaded under the session lock,
stored back (rounds, rooms, timers, placement) and its domain events stored with
their audiences; and the views of a round."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import orjson
from sqlalchemy import Row, bindparam, func, insert, or_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import breakouts as bo

from .. import bulk, errors
from .. import eventlog as el
from ..eventlog import EventLog
from ..events_breakouts import RoomCounts
from ..jsonish import utc_json
from ..models import (
    BreakoutRound,
    Person,
    Placement,
    PresenceLease,
    Room,
    Session,
    utcnow,
)
from ..timers import cancel_timer, set_timer

TIMER_KINDS = tuple(k.value for k in bo.TimerKind)
INTERPRETER = bo.Role.INTERPRETER.value
LATE_TYPES = frozenset({"breakout.closing", "breakout.closed"})


def domain_error(exc: bo.BreakoutError) -> errors.Problem:
    if isinstance(exc, bo.CsvAssignmentError):
        return errors.Invalid(
            exc.detail, errors=[{"line": line, "reason": reason} for line, reason in exc.errors]
        )
    return errors.from_domain(exc.kind.value, exc.detail)


@dataclass
class BreakoutState:
    """What the breakout rules need of one session, loaded under its lock."""

    session: Session
    rows: dict[str, BreakoutRound]
    rounds: dict[str, bo.Round]
    placement: bo.Placement
    # the PEOPLE_COLUMNS of everyone of the event, by id; None when loaded without
    # them (``load(people=False)``: ``people`` and ``members`` then raise)
    loaded_people: dict[str, Row] | None
    interpreters: dict[str, Row]  # the PEOPLE_COLUMNS of the event's interpreters
    attending: set[str]  # who has a placement row in this session
    rooms: dict[str, Room] = field(default_factory=dict)
    listening: dict[str, str | None] = field(default_factory=dict)  # by placed person
    online: set[str] = field(default_factory=set)

    @property
    def people(self) -> dict[str, Row]:
        if self.loaded_people is None:
            raise RuntimeError("this breakout state was loaded without its people")
        return self.loaded_people

    @cached_property
    def members(self) -> dict[str, bo.Member]:
        """Built when first read: an opening or a timer never reads it, and a thousand
        of them cost about as much as the reads of the whole state."""
        listening, online = self.listening, self.online
        return {
            pid: member_of(p, listening.get(pid), pid in online) for pid, p in self.people.items()
        }

    @property
    def plenary_id(self) -> str:
        return self.session.plenary_room_id

    @property
    def active(self) -> bo.Round | None:
        return next((r for r in self.rounds.values() if r.is_active), None)

    def round(self, round_id: str) -> bo.Round:
        r = self.rounds.get(round_id)
        if r is None:
            raise errors.NotFound(f"breakout round {round_id} does not exist in this session")
        return r


def to_domain(row: BreakoutRound, rooms: Iterable[Room]) -> bo.Round:
    return bo.Round(
        id=row.id,
        session_id=row.session_id,
        strategy=row.strategy,
        rooms=tuple(
            bo.RoomSpec(r.id, r.name, tuple(r.languages), r.capacity)
            for r in sorted(rooms, key=lambda r: r.position)
        ),
        status=row.status,
        plan=row.plan,
        unplaced=tuple(bo.Unplaced(u["person_id"], u["reason"]) for u in row.unplaced),
        duration_s=row.duration_s,
        countdown_s=row.countdown_s,
        allow_return=row.allow_return,
        floor_language=row.floor_language,
        created_at=row.created_at,
        opened_at=row.opened_at,
        ends_at=row.ends_at,
        closes_at=row.closes_at,
        closed_at=row.closed_at,
    )


# What the breakout rules (and the hooks that read ``BreakoutState.people``) need of a
# person: read as plain rows, since a round opening loads everyone of a large event and
# ORM instances (identity map, instrumentation) cost several times a row.
PEOPLE_COLUMNS = (
    Person.id,
    Person.name,
    Person.role,
    Person.email,
    Person.language,
    Person.groups,
    Person.interprets,
)


def member_of(p: Row, listening: str | None, online: bool) -> bo.Member:
    return bo.Member(
        person_id=p.id,
        role=p.role,
        language=listening or p.language,
        groups=tuple(p.groups),
        online=online,
        email=p.email,
        name=p.name,
    )


async def load(
    tx: AsyncSession, s: Session, round_id: str | None = None, *, people: bool = True
) -> BreakoutState:
    """The session's breakout state. With ``round_id`` (a command on that round), only
    that round and the active ones, with their rooms and the plenary: the finished
    rounds of a long session (each with its plan of everyone and its rooms) are what
    such a command never reads, and they grew its cost with every round.

    ``people=False``: without everyone of the event and who is online (``people``,
    ``members``), for what reads only rounds, rooms and placement, and the
    interpreters (``on_round_open``): an opening, a timer, a step. Reading a thousand
    people and their leases was ~3 ms of an opening that used a handful of them."""
    q = select(BreakoutRound).where(BreakoutRound.session_id == s.id)
    rq = select(Room).where(Room.session_id == s.id)
    if round_id is not None:
        live = [bo.RoundStatus.OPEN.value, bo.RoundStatus.CLOSING.value]
        q = q.where(or_(BreakoutRound.status.in_(live), BreakoutRound.id == round_id))
    rows = {r.id: r for r in (await tx.exec(q.order_by(BreakoutRound.number))).all()}
    if round_id is not None:
        rq = rq.where(or_(Room.round_id.is_(None), Room.round_id.in_(sorted(rows))))
    rooms = list((await tx.exec(rq)).all())
    by_round: dict[str, list[Room]] = {}
    for room in rooms:
        if room.round_id:
            by_round.setdefault(room.round_id, []).append(room)
    atts = (
        await tx.execute(
            select(Placement.person_id, Placement.room_id, Placement.listening).where(
                Placement.session_id == s.id
            )
        )
    ).all()
    everyone: dict[str, Row] | None = None
    online: set[str] = set()
    if people:
        everyone = {
            p.id: p
            for p in await tx.execute(select(*PEOPLE_COLUMNS).where(Person.event_id == s.event_id))
        }
        interpreters = {pid: p for pid, p in everyone.items() if p.role == INTERPRETER}
        online = set(
            (
                await tx.exec(
                    select(PresenceLease.person_id).where(PresenceLease.session_id == s.id)
                )
            ).all()
        )
    else:
        interpreters = {
            p.id: p
            for p in await tx.execute(
                select(*PEOPLE_COLUMNS).where(
                    Person.event_id == s.event_id, Person.role == INTERPRETER
                )
            )
        }
    return BreakoutState(
        session=s,
        rows=rows,
        rounds={rid: to_domain(row, by_round.get(rid, [])) for rid, row in rows.items()},
        placement=bo.Placement({pid: room for pid, room, _ in atts if room}),
        loaded_people=everyone,
        interpreters=interpreters,
        attending={pid for pid, _, _ in atts},
        rooms={r.id: r for r in rooms},
        listening={pid: lang for pid, _, lang in atts if lang},
        online=online,
    )


async def save_round(tx: AsyncSession, st: BreakoutState, new: bo.Round) -> None:
    old = st.rounds.get(new.id)
    row = st.rows.get(new.id)
    if row is None:
        row = BreakoutRound(id=new.id, session_id=new.session_id, strategy=new.strategy.value)
        # counted, not ``len(st.rows)``: a command's state may hold only the live rounds
        row.number = await _next_number(tx, new.session_id)
        tx.add(row)
        await tx.flush()
        for pos, spec in enumerate(new.rooms):
            room = Room(
                id=spec.id,
                session_id=new.session_id,
                round_id=new.id,
                name=spec.name,
                kind="breakout",
                languages=list(spec.languages),
                capacity=spec.capacity,
                floor_language=new.floor_language,
                position=pos + 1,
            )
            tx.add(room)
            st.rooms[room.id] = room
        st.rows[new.id] = row
    row.status = new.status.value
    row.plan = dict(new.plan)
    row.unplaced = [u.public() for u in new.unplaced]
    row.duration_s, row.countdown_s = new.duration_s, new.countdown_s
    row.allow_return, row.floor_language = new.allow_return, new.floor_language
    row.created_at = new.created_at or row.created_at
    row.opened_at, row.ends_at = new.opened_at, new.ends_at
    row.closes_at, row.closed_at = new.closes_at, new.closed_at
    tx.add(row)
    st.rounds[new.id] = new
    if bo.pending_timer(new) is None and (old is None or bo.pending_timer(old) is None):
        # Its timer rows follow ``pending_timer`` in every save: a round that waited for
        # none has none to cancel (an opening without a duration, a plan edited)
        return
    await sync_timer(tx, new)


async def _next_number(tx: AsyncSession, session_id: str) -> int:
    last = select(func.max(BreakoutRound.number)).where(BreakoutRound.session_id == session_id)
    return ((await tx.exec(last)).one() or 0) + 1


async def sync_timer(tx: AsyncSession, r: bo.Round) -> None:
    """The round waits for at most one timer: its end, or the end of its countdown."""
    pending = bo.pending_timer(r)
    for kind in TIMER_KINDS:
        if pending is None or pending.kind.value != kind:
            await cancel_timer(tx, kind, r.id)
    if pending is not None:
        await set_timer(tx, pending.kind.value, r.id, pending.due, session_id=r.session_id)


_MOVE_ATTENDANCE = (
    update(Placement.__table__)
    .where(
        Placement.__table__.c.session_id == bindparam("b_session"),
        Placement.__table__.c.person_id == bindparam("b_person"),
    )
    .values(room_id=bindparam("b_room"), updated_at=bindparam("b_at"))
)
_NEW_PLACEMENTS = insert(Placement.__table__)
# PostgreSQL, many moves (a round opening's 1,000): one statement over a JSON list of
# them instead of an executemany (psycopg: ~6 us of client CPU a row, a Bind and an
# Execute each)
_MOVE_MANY_PG = """
UPDATE placements AS p SET room_id = v.room_id, updated_at = %(at)s
FROM json_to_recordset(%(moves)s::json) AS v(person_id text, room_id text)
WHERE p.session_id = %(session_id)s AND p.person_id = v.person_id
"""


async def save_placement(tx: AsyncSession, st: BreakoutState, new: bo.Placement) -> bool:
    """Store who moved: one executemany UPDATE (and one INSERT for people without a
    placement row yet), not an ORM object per person (``bulk``: nor its per-row
    parameter work)."""
    now = utcnow()
    sid = st.session.id
    moved = [(pid, rid) for pid, rid in new.items() if st.placement.get(pid) != rid]
    updates = [
        {"b_session": sid, "b_person": pid, "b_room": rid, "b_at": now}
        for pid, rid in moved
        if pid in st.attending
    ]
    inserts = [
        {"session_id": sid, "person_id": pid, "room_id": rid, "updated_at": now}
        for pid, rid in moved
        if pid not in st.attending
    ]
    conn = await tx.connection()
    if bulk.pg_batch(conn.sync_connection, len(updates)):
        moves = [{"person_id": u["b_person"], "room_id": u["b_room"]} for u in updates]
        await conn.exec_driver_sql(
            _MOVE_MANY_PG, {"at": now, "moves": orjson.dumps(moves).decode(), "session_id": sid}
        )
    else:
        await bulk.executemany(tx, _MOVE_ATTENDANCE, updates)
    if inserts:
        await bulk.executemany(tx, _NEW_PLACEMENTS, inserts)
        st.attending.update(row["person_id"] for row in inserts)
    st.placement = new
    return bool(moved)


def emit(log: EventLog, events: Iterable[bo.Event], *, late_s: float | None = None) -> None:
    for ev in events:
        data = ev.data()
        if late_s is not None and ev.type in LATE_TYPES:
            data["late_s"] = late_s
        log.emit_domain(ev.type, data, ev.audience)


def emit_bulk(
    log: EventLog, st: BreakoutState, events: list, *, late_s: float | None = None
) -> None:
    """A round opening or closing moves everyone at once. Each person gets their own
    ``room.moved`` (moderators get all); instead of every room hearing every move, the
    ``breakout.opened``/``breakout.closed`` event carries the counts of every room and
    the members of each room (up to ``large_room``), which the gateway sends as one variant per
    room: one frame per client, encoded once per room."""
    rooms = [st.plenary_id]
    active = st.active
    if active is not None:
        rooms += [r.id for r in active.rooms]
    members: dict[str, list[str]] = {rid: [] for rid in rooms}
    for pid, rid in st.placement.items():
        if rid in members:
            members[rid].append(pid)
    counts = {rid: len(pids) for rid, pids in members.items()}
    shown = {rid: sorted(pids) for rid, pids in members.items() if len(pids) <= log.large_room}
    round_id = next((e.data()["round_id"] for e in events if e.type.startswith("breakout.")), None)
    for ev in events:
        data = ev.data()
        audience = ev.audience
        if ev.type == "room.moved":
            audience = (el.person(data["person_id"]), el.MODERATORS)
            data["round_id"] = round_id  # counts and members come with the round event
        elif ev.type in ("breakout.opened", "breakout.closed"):
            data.update(counts=counts, members=shown)
        if late_s is not None and ev.type in LATE_TYPES:
            data["late_s"] = late_s
        log.emit_domain(ev.type, data, audience)


def emit_counts(log: EventLog, st: BreakoutState) -> None:
    """One ``room.counts`` to everyone after people moved (not one per person)."""
    rooms = [st.plenary_id]
    active = st.active
    if active is not None:
        rooms += [r.id for r in active.rooms]
    counts = {rid: 0 for rid in rooms}
    for rid in st.placement.values():
        if rid in counts:
            counts[rid] += 1
    log.emit(RoomCounts(counts=counts), [el.SESSION])


def view(st: BreakoutState, r: bo.Round, *, staff: bool, viewer: str | None = None) -> dict:
    if not staff:
        mine = st.placement.get(viewer) if r.is_active else r.plan.get(viewer)
        return participant_view(r, mine)
    return utc_json(bo.round_view(r, st.placement))


def participant_view(r: bo.Round, mine: str | None) -> dict:
    """A round as a participant sees it: rooms without members, and their own room."""
    v = bo.round_view(r, None)
    for room in v["rooms"]:
        room.pop("members")
    v.pop("unplaced")
    v["your_room"] = mine if mine in r.room_ids else None
    return utc_json(v)
