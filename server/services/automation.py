"""Session automation: lobby, live, end/overtime and reminders as durable timers.

``plan`` runs inside the command's transaction, so the timers move with a
reschedule and vanish with a cancel atomically; each handler is conditional."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.automation import (
    SESSION_KINDS,
    replan,
    session_instants,
)
from scheduler.status import TRANSITIONS
from scheduler.views import person_local_start

from .. import eventlog as el
from ..eventlog import EventLog
from ..events import SessionOvertime, SessionReminder, SessionStatus
from ..models import Person, Session, Timer, utcnow
from ..timers import set_timer


async def plan(tx: AsyncSession, s: Session) -> None:
    """Make the session's pending automation timers what its state asks for.

    New and moved instants are set only when still ahead; a pending timer whose
    instant is unchanged stays even when overdue, so that the lobby firing late at
    start-up does not drop the missed live and end timers behind it."""
    instants = session_instants(
        session_id=s.id,
        status=s.status,
        start=s.start,
        end=s.end,
        lobby_lead_s=s.lobby_lead_s,
        auto_live=s.auto_live,
        reminders_s=s.reminders_s,
    )
    existing = (
        await tx.exec(
            select(Timer).where(
                Timer.session_id == s.id,
                Timer.kind.in_(SESSION_KINDS),
                Timer.done_at.is_(None),
            )
        )
    ).all()
    by_key = {(t.kind, t.target): t for t in existing}
    to_delete, to_set = replan({key: t.due_at for key, t in by_key.items()}, instants, utcnow())
    for key in to_delete:
        await tx.exec(delete(Timer).where(Timer.id == by_key[key].id))
    for (kind, target), due in to_set.items():
        await set_timer(tx, kind, target, due, session_id=s.id)


async def _to(s: Session, log: EventLog, target: str, late_s: float) -> None:
    previous = s.status
    s.status = target
    log.emit(SessionStatus(status=target, previous=previous, late_s=late_s), [el.SESSION])


async def open_lobby(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    if s.status == "scheduled":
        await _to(s, log, "lobby", late_s)
        tx.add(s)
        await plan(tx, s)


async def go_live(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    if s.auto_live and "live" in TRANSITIONS.get(s.status, ()):
        await _to(s, log, "live", late_s)
        tx.add(s)
        await plan(tx, s)


async def end_or_overtime(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    if s.status == "live" and s.auto_end:
        await _to(s, log, "ended", late_s)
        tx.add(s)
        await plan(tx, s)
    elif s.status in ("scheduled", "lobby", "live"):
        log.emit(SessionOvertime(end=s.end, status=s.status), [el.MODERATORS])


async def remind(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    """A reminder whose session has already started is skipped."""
    if s.status != "scheduled" or utcnow() >= s.start:
        return
    people = (await tx.exec(select(Person).where(Person.event_id == s.event_id))).all()
    before = int(timer.target.rsplit(":", 1)[1])
    log.emit(
        SessionReminder(
            start=s.start,
            before_s=before,
            people=[person_local_start(p.id, p.timezone, s.start) for p in people],
            late_s=late_s or None,
        ),
        [el.MODERATORS],
    )
