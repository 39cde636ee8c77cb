"""Durable timers: rows written in the command's own transaction, fired once by the
leader, each firing fenced by the leader's term and conditional on the row being
still due, so a second run (or a run after a manual change) changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.alarm import AlarmClock, TimerSpec

from . import errors
from .eventlog import EventLog, lock_session
from .leader import NAME, Leadership
from .models import LeaderTerm, Session, Timer, utcnow

log = logging.getLogger("convene.timers")

HORIZON = dt.timedelta(hours=1)

# kind -> async (tx, session, log, timer, late_s) -> None; each feature's ``install``
# adds its handlers to the app's ``Wiring.timers``
Handler = Callable[[AsyncSession, Session, EventLog, Timer, float], Awaitable[None]]


async def set_timer(
    tx: AsyncSession,
    kind: str,
    target: str,
    due_at: dt.datetime,
    *,
    session_id: str | None = None,
    payload: dict | None = None,
) -> Timer:
    """Set (or move) the timer ``(kind, target)``; it is pending again."""
    row = (await tx.exec(select(Timer).where(Timer.kind == kind, Timer.target == target))).first()
    if row is None:
        row = Timer(kind=kind, target=target)
    row.due_at = due_at
    row.done_at = None
    row.fired_term = None
    row.late_s = None
    row.session_id = session_id
    row.payload = payload or {}
    tx.add(row)
    return row


async def cancel_timer(tx: AsyncSession, kind: str, target: str) -> None:
    await tx.exec(
        delete(Timer).where(Timer.kind == kind, Timer.target == target, Timer.done_at.is_(None))
    )


async def pending_for(tx: AsyncSession, session_id: str) -> list[Timer]:
    q = select(Timer).where(Timer.session_id == session_id, Timer.done_at.is_(None))
    return list((await tx.exec(q)).all())


async def _term_holds(tx: AsyncSession, term: int) -> bool:
    """Whether ``term`` is still the leader's, checked (and the term row locked, so no
    takeover commits in between) in the transaction that is about to change a timer."""
    lead = (
        await tx.exec(select(LeaderTerm).where(LeaderTerm.name == NAME).with_for_update())
    ).first()
    return lead is not None and lead.term == term


class TimerService:
    """Runs on the leader: keeps the alarm clock equal to the pending rows."""

    def __init__(self, state, sync_every_s: float = 1.0):
        self.state = state
        self.sync_every_s = sync_every_s
        self.clock = AlarmClock(state.settings.instance_id, self.fire)
        self.leadership = Leadership(state.db, state.settings.instance_id, self._gain, self._loss)
        self._wake = asyncio.Event()
        self.fired = 0

    @property
    def term(self) -> int | None:
        return self.leadership.term

    def wake(self) -> None:
        self._wake.set()

    async def _gain(self, term: int) -> None:
        self.clock.start()
        await self.sync()

    async def _loss(self) -> None:
        self.clock.stop()

    def tasks(self) -> list[asyncio.Task]:
        return [
            asyncio.create_task(self.leadership.run(), name="leadership"),
            asyncio.create_task(self._loop(), name="timer-sync"),
        ]

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.sync_every_s)
            self._wake.clear()
            if self.term is not None:
                try:
                    await self.sync()
                except Exception:
                    log.exception("timer sync failed")

    async def sync(self) -> None:
        """Fire what is overdue, in due order; hand the rest of the hour to the clock."""
        now = utcnow()
        async with self.state.db.read() as tx:
            rows = list(
                (
                    await tx.exec(
                        select(Timer)
                        .where(Timer.done_at.is_(None), Timer.due_at <= now + HORIZON)
                        .order_by(Timer.due_at)
                    )
                ).all()
            )
        overdue = [r for r in rows if r.due_at <= now]
        for r in overdue:
            await self.fire(TimerSpec(r.id, r.kind, r.target, r.due_at))
        self.clock.sync(TimerSpec(r.id, r.kind, r.target, r.due_at) for r in rows if r.due_at > now)

    async def fire(self, spec: TimerSpec) -> None:
        term = self.term
        if term is None:
            return
        self.clock.forget(spec.id)
        try:
            await self._fire(spec, term)
        except Exception:
            log.exception(
                "timer %s (%s %s) failed; marking it done", spec.id, spec.kind, spec.target
            )
            async with self.state.db.write() as tx:
                row = (
                    await tx.exec(select(Timer).where(Timer.id == spec.id).with_for_update())
                ).first()
                if row is None or row.done_at is not None or row.due_at != spec.due_at:
                    return
                if not await _term_holds(tx, term):  # fenced like a normal firing
                    log.warning("timer %s not marked done: term %s was superseded", spec.id, term)
                    return
                row.done_at = utcnow()
                row.fired_term = term
                tx.add(row)

    async def _fire(self, spec: TimerSpec, term: int) -> None:
        handler = self.state.wiring.timers.get(spec.kind)
        async with self.state.db.read() as tx:
            row = await tx.get(Timer, spec.id)
        if row is None or row.done_at is not None or row.due_at != spec.due_at:
            return
        session_id = row.session_id
        published: tuple | None = None  # (session, seq, records)
        async with self.state.db.write() as tx:
            s = await lock_session(tx, session_id) if session_id else None
            current = (
                await tx.exec(select(Timer).where(Timer.id == spec.id).with_for_update())
            ).first()
            if current is None or current.done_at is not None or current.due_at != spec.due_at:
                return
            if not await _term_holds(tx, term):
                log.warning("timer %s not fired: term %s was superseded", spec.id, term)
                return
            now = utcnow()
            late_s = round(max(0.0, (now - current.due_at).total_seconds()), 3)
            current.done_at = now
            current.fired_term = term
            current.late_s = late_s
            tx.add(current)
            log_ = self.state.commands.log(tx, s, None) if s is not None else None
            if handler is not None:
                await handler(tx, s, log_, current, late_s)
            else:
                log.error("no handler for timer kind %s", spec.kind)
            if log_ is not None and log_.records:
                await self.state.commands.before_commit(tx, s, log_, command=f"timer {spec.kind}")
                published = (s.id, log_.last_seq, log_.records)
        self.fired += 1
        if published:
            await self.state.commands.published(*published)


__all__ = ["errors", "set_timer", "cancel_timer", "TimerService", "pending_for"]
