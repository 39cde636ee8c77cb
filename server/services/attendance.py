"""Attendance, accumulated from the session's own events in their transaction.

A follower of every command (``commands.run`` and timers): it reads the events the
transaction stored, in order, and moves each person's running tally. The seconds
between two events of a person land in their current room and the channel they
hear, so a person's ``rooms`` and ``listened`` always add up to their ``online_s``.
Only time while the session is lobby or live counts; observers are never counted;
``presence.joined``/``presence.left`` come once per person however many connections
they hold (two tabs count once); a connection lost with its process counts until the
sweep stores its ``presence.left`` when the process's heartbeat lapses. Large rooms coalesce what
they show, but moderators still get each arrival and departure stored, which is what
this reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import bulk
from .. import eventlog as el
from ..auth import Role
from ..eventlog import EventLog
from ..events_attendance import AttendanceReady
from ..models import (
    AttendancePeak,
    AttendanceTally,
    Event,
    Person,
    Placement,
    Session,
    utcnow,
)
from ..timers import set_timer
from .attendance_tally import (
    COLUMNS,
    KEYS,
    MOVES,
    Tally,
    deferred_moves,
    move,
    new_tally,
    start,
    stop,
)

ACTIVE = frozenset({"lobby", "live"})
PRESENCE = frozenset({"presence.joined", "presence.left"})

# Things people do that the report counts: event type -> (tally field, person key).
# The speaker queue and chat add theirs here (``hand.raised``, ``chat.message``).
COUNTED: dict[str, tuple[str, str]] = {
    "help.requested": ("help", "person_id"),
    "hand.raised": ("hands", "person_id"),  # a new hand (a language change is hand.changed)
    "chat.message": ("messages", "from"),
}

FOLLOWED = PRESENCE | MOVES | {"session.status"} | COUNTED.keys()
CREATES = {"presence.joined"} | COUNTED.keys()  # events that start a person's tally

# Deferred moves are counted this long after the first of them, all together (or
# earlier, by the session's next arrival, departure, status change or counted act).
CATCH_UP_KIND = "attendance.catch_up"
CATCH_UP_GAP = dt.timedelta(seconds=1)


def _person_of(rec) -> str | None:
    if rec.type in COUNTED:
        return rec.data.get(COUNTED[rec.type][1])
    return rec.data.get("person_id")


_TABLE = AttendanceTally.__table__
_CHANGED = tuple(c for c in COLUMNS if c not in KEYS)
_INSERT = insert(_TABLE)
_UPDATES: dict[tuple[str, ...], Any] = {}  # by the columns set: one statement each


def _update(columns: tuple[str, ...]):
    """``UPDATE`` of ``columns`` by key (kept: ``bulk`` prepares each once)."""
    stmt = _UPDATES.get(columns)
    if stmt is None:
        stmt = _UPDATES[columns] = (
            update(_TABLE)
            .where(_TABLE.c.session_id == bindparam("k_session"))
            .where(_TABLE.c.person_id == bindparam("k_person"))
            .values({c: bindparam(c) for c in columns})
        )
    return stmt


class Tallies:
    """The tallies this transaction touches, loaded in one query."""

    def __init__(self, tx: AsyncSession, s: Session, event: Event):
        self.tx, self.s, self.event = tx, s, event
        self.rows: dict[str, Tally] = {}
        self.observers: set[str] = set()

    async def load(self, person_ids: set[str], arriving: set[str], everyone: bool) -> None:
        """The tallies of ``person_ids`` (of everyone, for a status change); new ones
        only for people ``arriving`` or acting: a round that moves a thousand people
        who never came makes no rows."""
        q = select(*_TABLE.c).where(_TABLE.c.session_id == self.s.id)
        if not everyone:
            q = q.where(_TABLE.c.person_id.in_(sorted(person_ids)))
        rows = (await self.tx.execute(q)).all()
        self.rows = {t.person_id: t for t in (Tally(r, stored=True) for r in rows)}
        new = sorted(arriving - self.rows.keys())
        if not new:
            return
        people = (await self.tx.exec(select(Person).where(Person.id.in_(new)))).all()
        atts = {
            a.person_id: a
            for a in (
                await self.tx.exec(
                    select(Placement).where(
                        Placement.session_id == self.s.id, Placement.person_id.in_(new)
                    )
                )
            ).all()
        }
        for p in people:
            if p.role == Role.OBSERVER:
                self.observers.add(p.id)
                continue
            att = atts.get(p.id)
            self.rows[p.id] = new_tally(
                session_id=self.s.id,
                person_id=p.id,
                room_id=att.room_id if att else None,
                language=_heard_at_first(p, att, self.event),
            )

    def get(self, person_id: str | None) -> Tally | None:
        return None if person_id is None else self.rows.get(person_id)

    async def save(self) -> None:
        """The changed rows in one executemany UPDATE of the columns that changed in
        any of them (a move changes five of twelve), the new ones in one INSERT
        (``bulk``: an opening changes a thousand)."""
        new, changed, columns = [], [], set()
        for t in self.rows.values():
            if t._stored is None:
                new.append(t.row())
                continue
            values = t.values()
            if values != t._stored:
                changed.append(t)
                columns.update(
                    c for c, a, b in zip(COLUMNS, values, t._stored, strict=True) if a != b
                )
        await bulk.executemany(self.tx, _INSERT, new)
        if changed:
            names = tuple(c for c in _CHANGED if c in columns)
            rows = [
                {"k_session": t.session_id, "k_person": t.person_id}
                | {c: getattr(t, c) for c in names}
                for t in changed
            ]
            await bulk.executemany(self.tx, _update(names), rows)


def _heard_at_first(person: Person, att: Placement | None, event: Event) -> str:
    """Until a ``listening.changed`` says otherwise: their choice, or their own
    language when the event carries it, else the floor (as the snapshot shows it)."""
    if att is not None and att.listening:
        return att.listening
    langs = {event.floor_language, *event.interpretation_languages}
    return person.language if person.language in langs else event.floor_language


async def follow(tx: AsyncSession, s: Session, log: EventLog) -> None:
    """Count what this transaction stored. Moves alone (a round opening moves a
    thousand people) are only marked: ``s.attendance_from`` and a timer, so the
    opening's transaction writes no tally; anything else first counts what was
    deferred, then its own events, in seq order."""
    records = [r for r in log.records if r.type in FOLLOWED]
    if not records:
        return
    if all(r.type in MOVES for r in records):
        if s.attendance_from is None:
            s.attendance_from = records[0].seq
            tx.add(s)
            await set_timer(tx, CATCH_UP_KIND, s.id, utcnow() + CATCH_UP_GAP, session_id=s.id)
        return
    await _count(tx, s, log, [*await deferred_moves(tx, s, before=records[0].seq), *records])


async def catch_up(tx: AsyncSession, s: Session, log: EventLog, timer, late_s: float) -> None:
    """The timer ``follow`` set: count the deferred moves (a no-op when an arrival, a
    status change or another timer counted them first)."""
    if s.attendance_from is not None:
        await _count(tx, s, log, await deferred_moves(tx, s, before=s.seq + 1))


async def _count(tx: AsyncSession, s: Session, log: EventLog, records: list) -> None:
    """Move the tallies through ``records`` (followed events, in seq order)."""
    if s.attendance_from is not None:
        s.attendance_from = None
        tx.add(s)
    if not records:
        return
    statuses = [r for r in records if r.type == "session.status"]
    active = (statuses[0].data["previous"] if statuses else s.status) in ACTIVE
    event = await tx.get(Event, s.event_id)
    floor = event.floor_language
    tallies = Tallies(tx, s, event)
    arriving = {p for r in records if r.type in CREATES and (p := _person_of(r)) is not None}
    await tallies.load(
        {p for r in records if (p := _person_of(r))}, arriving, everyone=bool(statuses)
    )
    ended = False
    for rec in records:
        at = rec.at
        if rec.type == "session.status":
            now_active = rec.data["status"] in ACTIVE
            for t in tallies.rows.values():
                if t.online and now_active and not active:
                    start(t, at)
                elif t.online and active and not now_active:
                    stop(t, at, floor)
            active = now_active
            ended = ended or rec.data["status"] == "ended"
            continue
        t = tallies.get(_person_of(rec))
        if t is None:
            continue
        if rec.type == "presence.joined":
            t.online = True
            if active and t.counting_since is None:
                start(t, at)
        elif rec.type == "presence.left":
            stop(t, at, floor)
            t.online = False
        elif rec.type in MOVES:
            move(t, rec, floor)
        elif rec.type in COUNTED:
            field = COUNTED[rec.type][0]
            setattr(t, field, getattr(t, field) + 1)
    await tallies.save()
    if statuses or any(r.type in PRESENCE for r in records):
        await _peak(tx, s)
    if ended:
        from .attendance_reports import session_summary

        summary = await session_summary(tx, s)
        log.emit(AttendanceReady(**summary), [el.MODERATORS], by=None)


async def _peak(tx: AsyncSession, s: Session) -> None:
    await tx.flush()
    online = int(
        (
            await tx.exec(
                select(func.count())
                .select_from(AttendanceTally)
                .where(
                    AttendanceTally.session_id == s.id,
                    AttendanceTally.counting_since.is_not(None),
                )
            )
        ).one()
    )
    row = await tx.get(AttendancePeak, s.id) or AttendancePeak(session_id=s.id)
    row.online = online
    row.peak_online = max(row.peak_online, online)
    tx.add(row)
