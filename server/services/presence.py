"""Presence: one lease per live connection; a person is online while any lease of
theirs is unexpired. Leases are renewed per process and swept by every process, so a
killed process's people go offline within the lease TTL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import eventlog as el
from ..auth import Role
from ..commands import Commands
from ..events import PresenceJoined, PresenceLeft, RoomMoved
from ..models import Attendance, Person, PresenceLease, Room, Session, utcnow


async def live_leases(tx: AsyncSession, session_id: str, person_id: str, now: dt.datetime) -> int:
    q = (
        select(func.count())
        .select_from(PresenceLease)
        .where(
            PresenceLease.session_id == session_id,
            PresenceLease.person_id == person_id,
            PresenceLease.expires_at > now,
        )
    )
    return int((await tx.exec(q)).one())


LARGE_ROOM = 100  # the contract's threshold: larger rooms get counts, not each arrival


async def room_size(tx: AsyncSession, session_id: str, room_id: str) -> int:
    q = select(func.count()).select_from(Attendance).where(
        Attendance.session_id == session_id, Attendance.room_id == room_id
    )
    return int((await tx.exec(q)).one())


async def ensure_placed(
    tx: AsyncSession, s: Session, person: Person, log: el.EventLog
) -> Attendance:
    """Everyone but observers belongs in a room; a newcomer starts in the plenary."""
    att = await tx.get(Attendance, (s.id, person.id))
    if att is None:
        att = Attendance(session_id=s.id, person_id=person.id)
    if person.role != Role.observer:
        room = await tx.get(Room, att.room_id) if att.room_id else None
        if room is None or room.session_id != s.id:
            att.room_id = s.plenary_room_id
            att.updated_at = utcnow()
            audience = [el.person(person.id), el.MODERATORS]
            if await room_size(tx, s.id, s.plenary_room_id) < LARGE_ROOM:
                audience.append(el.room(s.plenary_room_id))  # large rooms: counts only
            log.emit(
                RoomMoved(person_id=person.id, from_room=None, to_room=s.plenary_room_id),
                audience,
            )
    tx.add(att)
    return att


# Features place people on join (e.g. a latecomer into the open round's room):
# ``async (tx, session, person, attendance, log) -> None``, inside the join transaction.
JOIN_HOOKS: list = []


def presence_audience(room_id: str | None) -> list[str]:
    return [el.MODERATORS] + ([el.room(room_id)] if room_id else [])


async def join(
    cmds: Commands, session_id: str, person: Person, conn_id: str, instance_id: str, ttl_s: float
) -> None:
    async def work(tx: AsyncSession, s: Session, log: el.EventLog) -> None:
        now = utcnow()
        already = await live_leases(tx, s.id, person.id, now)
        tx.add(
            PresenceLease(
                id=conn_id,
                session_id=s.id,
                person_id=person.id,
                instance_id=instance_id,
                expires_at=now + dt.timedelta(seconds=ttl_s),
            )
        )
        att = await ensure_placed(tx, s, person, log)
        for hook in JOIN_HOOKS:
            await hook(tx, s, person, att, log)
        if already == 0:
            log.emit(
                PresenceJoined(person_id=person.id, room_id=att.room_id),
                presence_audience(att.room_id),
            )

    await cmds.run(session_id, work, by=person.id)


async def _left(tx: AsyncSession, s: Session, person_id: str, log: el.EventLog, now) -> None:
    if await live_leases(tx, s.id, person_id, now) == 0:
        att = await tx.get(Attendance, (s.id, person_id))
        room_id = att.room_id if att else None
        log.emit(PresenceLeft(person_id=person_id, room_id=room_id), presence_audience(room_id))


async def leave(cmds: Commands, session_id: str, person_id: str, conn_id: str) -> None:
    async def work(tx: AsyncSession, s: Session, log: el.EventLog) -> None:
        res = await tx.exec(delete(PresenceLease).where(PresenceLease.id == conn_id))
        if res.rowcount:
            await _left(tx, s, person_id, log, utcnow())

    await cmds.run(session_id, work, by=person_id)


async def renew(cmds: Commands, instance_id: str, ttl_s: float) -> None:
    async with cmds.db.write() as tx:
        await tx.exec(
            update(PresenceLease)
            .where(PresenceLease.instance_id == instance_id)
            .values(expires_at=utcnow() + dt.timedelta(seconds=ttl_s))
        )


async def sweep(cmds: Commands) -> int:
    """Turn expired leases into ``presence.left``; safe to run in every process."""
    now = utcnow()
    async with cmds.db.read() as tx:
        rows = (
            await tx.exec(
                select(PresenceLease.session_id, PresenceLease.person_id, PresenceLease.id).where(
                    PresenceLease.expires_at <= now
                )
            )
        ).all()
    by_session: dict[str, list[tuple[str, str]]] = {}
    for sid, pid, lid in rows:
        by_session.setdefault(sid, []).append((pid, lid))
    for sid, items in by_session.items():

        async def work(tx, s, log, items=items):
            for pid, lid in items:
                res = await tx.exec(
                    delete(PresenceLease).where(
                        PresenceLease.id == lid, PresenceLease.expires_at <= now
                    )
                )
                if res.rowcount:
                    await _left(tx, s, pid, log, now)

        await cmds.run(sid, work, by=None)
    return len(rows)


async def drop_instance(cmds: Commands, instance_id: str) -> None:
    """On a clean shutdown: this process's leases end at once."""
    async with cmds.db.write() as tx:
        await tx.exec(
            update(PresenceLease)
            .where(PresenceLease.instance_id == instance_id)
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    await sweep(cmds)
