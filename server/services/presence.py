"""Presence: one lease per live connection; a person is online while they hold any
lease. Each process renews one heartbeat row; every process sweeps the leases of
processes whose heartbeat lapsed, so a killed process's people go offline within
the TTL (plus a sweep)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import breakouts as bo

from .. import bulk
from .. import eventlog as el
from ..auth import Role
from ..commands import Commands
from ..event_registry import coerce
from ..models import Person, Placement, PresenceLease, ProcessHeartbeat, Session, utcnow
from .batches import Batcher
from .presence_news import Memo, announce


async def ensure_placed(
    tx: AsyncSession,
    s: Session,
    person: Person,
    log: el.EventLog,
    memo: Memo | None = None,
    att: Placement | None = None,
    *,
    looked_up: bool = False,
) -> Placement:
    """Everyone but observers belongs in a room; a newcomer starts in the plenary.
    With ``looked_up`` the caller has read the person's placement already: ``att``
    (None: they have none yet)."""
    memo = memo or Memo(tx, s.id)
    if att is None and not looked_up:
        att = await tx.get(Placement, (s.id, person.id))
    if att is None:
        att = Placement(session_id=s.id, person_id=person.id)
    if person.role != Role.OBSERVER:
        # most people are in the plenary, a room of the session: no look-up for them
        here = att.room_id is not None and att.room_id == s.plenary_room_id
        if not (here or (att.room_id and await memo.is_room_here(att.room_id))):
            audience = [el.person(person.id), el.MODERATORS]
            if await memo.size(s.plenary_room_id) < log.large_room:
                audience.append(el.room(s.plenary_room_id))  # large rooms: counts only
            att.room_id = s.plenary_room_id
            att.updated_at = utcnow()
            memo.moved(None, s.plenary_room_id)
            moved = bo.arrive(person.id, s.plenary_room_id)
            log.emit(coerce(moved.type, moved.data()), audience)
    tx.add(att)
    return att


async def online_among(tx: AsyncSession, session_id: str, person_ids: list[str]) -> set[str]:
    """Which of these people hold a lease (a connection somewhere) now."""
    rows = await tx.exec(
        select(PresenceLease.person_id).where(
            PresenceLease.session_id == session_id,
            PresenceLease.person_id.in_(person_ids),
        )
    )
    return set(rows.all())


_BEATS = ProcessHeartbeat.__table__


def _beat_upserts() -> dict:
    """Per dialect: a process's heartbeat row, written or moved on."""
    out = {}
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql)):
        stmt = dialect.insert(_BEATS)
        out[name] = stmt.on_conflict_do_update(
            index_elements=[_BEATS.c.instance_id], set_={"expires_at": stmt.excluded.expires_at}
        )
    return out


_BEAT = _beat_upserts()


async def _beat(tx: AsyncSession, instance_id: str, ttl_s: float) -> None:
    conn = await tx.connection()
    await conn.execute(
        _BEAT[conn.dialect.name],
        {"instance_id": instance_id, "expires_at": utcnow() + dt.timedelta(seconds=ttl_s)},
    )


async def renew(cmds: Commands, instance_id: str, ttl_s: float) -> None:
    """This process's heartbeat: one row, however many connections it holds."""
    async with cmds.db.write() as tx:
        await _beat(tx, instance_id, ttl_s)


Arrival = tuple[Person, str]  # the person, the connection's lease id
_INSERT_LEASE = insert(PresenceLease.__table__)  # kept: ``bulk`` prepares it once


async def join_many(
    cmds: Commands, session_id: str, arrivals: list[Arrival], instance_id: str, ttl_s: float
) -> None:
    """Leases for these connections, each person placed and announced once (a second
    connection of someone online is not news); one transaction for all of them."""
    one = {p.id for p, _ in arrivals}
    by = next(iter(one)) if len(one) == 1 else None

    async def work(tx: AsyncSession, s: Session, log: el.EventLog) -> None:
        # a token that ended since its handshake (re-issued, person removed) joins
        # nothing: its socket closes 4401, and a removed person's row would fail the
        # batch. FOR KEY SHARE holds off a removal until this commits (PostgreSQL).
        current = dict(
            (
                await tx.exec(
                    select(Person.id, Person.token_hash)
                    .where(Person.id.in_(sorted(one)))
                    .with_for_update(read=True, key_share=True)
                )
            ).all()
        )
        live = [(p, c) for p, c in arrivals if current.get(p.id) == p.token_hash]
        ids = sorted({p.id for p, _ in live})
        online = await online_among(tx, s.id, ids)
        known = {
            a.person_id: a
            for a in (
                await tx.exec(
                    select(Placement).where(
                        Placement.session_id == s.id, Placement.person_id.in_(ids)
                    )
                )
            ).all()
        }
        if live:  # one executemany, not an ORM object per connection
            # written with their process's heartbeat, so no sweep finds a lease whose
            # process has not beaten yet (just started, or back after an outage)
            await _beat(tx, instance_id, ttl_s)
            await bulk.executemany(
                tx,
                _INSERT_LEASE,
                [
                    {
                        "id": conn_id,
                        "session_id": s.id,
                        "person_id": person.id,
                        "instance_id": instance_id,
                    }
                    for person, conn_id in live
                ],
            )
        memo = Memo(tx, s.id)
        placed: set[str] = set()
        for person, _ in live:
            if person.id in placed:
                continue
            placed.add(person.id)
            log.by = person.id  # each arrival's events are the arriving person's
            att = await ensure_placed(
                tx, s, person, log, memo, known.get(person.id), looked_up=True
            )
            room_before = att.room_id
            for hook in cmds.wiring.on_join:  # e.g. a latecomer into a round's room
                await hook(tx, s, person, att, log)
            if att.room_id != room_before:  # a hook placed them elsewhere
                memo.moved(room_before, att.room_id)
            if person.id not in online:
                await announce(memo, s, log, person.id, att.room_id, "joined", person.id)
        log.by = by

    await cmds.run(session_id, work, by=by)


async def join(
    cmds: Commands, session_id: str, person: Person, conn_id: str, instance_id: str, ttl_s: float
) -> None:
    await join_many(cmds, session_id, [(person, conn_id)], instance_id, ttl_s)


Departure = tuple[str, str]  # the person's id, the connection's lease id


async def _gone(
    tx: AsyncSession,
    s: Session,
    log: el.EventLog,
    person_ids: set[str],
    *,
    swept: bool = False,
) -> None:
    """``presence.left`` for those of ``person_ids`` with no lease left (caused by the
    person, or by nobody when their process's heartbeat lapsed)."""
    if not person_ids:
        return
    ids = sorted(person_ids)
    still = await online_among(tx, s.id, ids)
    rooms = dict(
        (
            await tx.exec(
                select(Placement.person_id, Placement.room_id).where(
                    Placement.session_id == s.id, Placement.person_id.in_(ids)
                )
            )
        ).all()
    )
    memo = Memo(tx, s.id)
    for pid in ids:
        if pid not in still:
            await announce(memo, s, log, pid, rooms.get(pid), "left", None if swept else pid)


async def leave_many(cmds: Commands, session_id: str, departures: list[Departure]) -> None:
    """These connections are closed: their leases end; who has none left is gone."""
    one = {pid for pid, _ in departures}
    by = next(iter(one)) if len(one) == 1 else None

    async def work(tx: AsyncSession, s: Session, log: el.EventLog) -> None:
        lease_ids = [lid for _, lid in departures]
        ended = set(
            (
                await tx.exec(
                    select(PresenceLease.person_id).where(PresenceLease.id.in_(lease_ids))
                )
            ).all()
        )
        await tx.exec(delete(PresenceLease).where(PresenceLease.id.in_(lease_ids)))
        await _gone(tx, s, log, ended)

    await cmds.run(session_id, work, by=by)


async def leave(cmds: Commands, session_id: str, person_id: str, conn_id: str) -> None:
    await leave_many(cmds, session_id, [(person_id, conn_id)])


# arrivals of people who already hold their snapshot, per transaction: ~13 ms of
# statements per batch (followers, the session's lock) plus ~80 us an arrival on
# SQLite, so 200 hold the writer about as long as 25 did at ~1 ms an arrival, and a
# 5,000-person returning storm costs ~0.65 s of loop CPU instead of ~3 s (issue 19)
LATE_BATCH = 200
DEPARTURE_BATCH = 25


class Gate:
    """This process's arrivals and departures, stored in batches per session. A
    departure waits for the arrivals of the same person asked before it, so that a
    socket closing just after another of theirs opened does not show them gone.

    A newcomer's handshake waits for their arrival (their snapshot shows their room),
    so those go in large batches. Someone already placed has their snapshot first and
    their arrival is stored behind it: after a reconnect storm that is thousands of
    arrivals nobody waits for, stored while the session serves commands. They go in
    smaller batches (``LATE_BATCH``), so that no broadcast of the next seconds waits
    long behind one for the database's writer (one at a time on SQLite)."""

    def __init__(self, cmds: Commands, instance_id: str, ttl_s: float):
        def store(sid: str, items: list[Arrival]) -> Awaitable[None]:
            return join_many(cmds, sid, items, instance_id, ttl_s)

        self.arrivals: Batcher[Arrival] = Batcher(store)
        self.late_arrivals: Batcher[Arrival] = Batcher(store, max_batch=LATE_BATCH)
        self.departures: Batcher[Departure] = Batcher(
            lambda sid, items: leave_many(cmds, sid, items), max_batch=DEPARTURE_BATCH
        )
        self._arriving: dict[tuple[str, str], set[asyncio.Future]] = {}

    def join_soon(
        self, session_id: str, person: Person, conn_id: str, *, waited_on: bool = True
    ) -> asyncio.Future:
        """Ask for the arrival now; the future is done when it is stored.
        ``waited_on``: a handshake waits for it (a newcomer), so it may share a
        large batch; otherwise it goes in a small one."""
        batcher = self.arrivals if waited_on else self.late_arrivals
        fut = asyncio.ensure_future(batcher.submit(session_id, (person, conn_id)))
        key = (session_id, person.id)
        self._arriving.setdefault(key, set()).add(fut)
        fut.add_done_callback(lambda f: self._arrived(key, f))
        return fut

    def _arrived(self, key: tuple[str, str], fut: asyncio.Future) -> None:
        pending = self._arriving.get(key)
        if pending is not None:
            pending.discard(fut)
            if not pending:
                del self._arriving[key]

    async def leave(self, session_id: str, person_id: str, conn_id: str) -> None:
        pending = self._arriving.get((session_id, person_id))
        if pending:
            await asyncio.wait(list(pending))
        await self.departures.submit(session_id, (person_id, conn_id))


def _alive(now: dt.datetime):
    return select(ProcessHeartbeat.instance_id).where(ProcessHeartbeat.expires_at > now)


async def sweep(cmds: Commands) -> int:
    """Turn the leases of processes whose heartbeat lapsed (or never was) into
    ``presence.left``; safe to run in every process. Returns how many leases ended."""
    now = utcnow()
    async with cmds.db.read() as tx:
        alive = set((await tx.exec(_alive(now))).all())
        holders = set(
            (await tx.exec(select(PresenceLease.instance_id).distinct())).all()
        )  # the instance index answers this
        stale = (
            await tx.exec(
                select(ProcessHeartbeat.instance_id).where(ProcessHeartbeat.expires_at <= now)
            )
        ).all()
        dead = sorted(holders - alive)
        rows = (
            (
                await tx.exec(
                    select(
                        PresenceLease.session_id, PresenceLease.person_id, PresenceLease.id
                    ).where(PresenceLease.instance_id.in_(dead))
                )
            ).all()
            if dead
            else []
        )
    by_session: dict[str, list[tuple[str, str]]] = {}
    for sid, pid, lid in rows:
        by_session.setdefault(sid, []).append((pid, lid))
    for sid, items in by_session.items():

        async def work(tx, s, log, items=items):
            # a process that beat again since the read keeps its people
            ended = (
                PresenceLease.id.in_([lid for _, lid in items]),
                PresenceLease.instance_id.not_in(_alive(now)),
            )
            expired = (await tx.exec(select(PresenceLease.person_id).where(*ended))).all()
            await tx.exec(delete(PresenceLease).where(*ended))
            await _gone(tx, s, log, set(expired), swept=True)

        await cmds.run(sid, work, by=None)
    if stale:  # a dead process's heartbeat goes once its leases have
        async with cmds.db.write() as tx:
            await tx.exec(
                delete(ProcessHeartbeat).where(
                    ProcessHeartbeat.instance_id.in_(stale),
                    ProcessHeartbeat.expires_at <= now,
                    ProcessHeartbeat.instance_id.not_in(select(PresenceLease.instance_id)),
                )
            )
    return len(rows)


async def drop_instance(cmds: Commands, instance_id: str) -> None:
    """On a clean shutdown: this process's leases end at once."""
    async with cmds.db.write() as tx:
        await tx.exec(delete(ProcessHeartbeat).where(ProcessHeartbeat.instance_id == instance_id))
    await sweep(cmds)
