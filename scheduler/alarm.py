"""APScheduler 3 as an alarm clock over our own timer rows.

The rows (written in the same transaction as the command that sets them) are the
truth; this clock only wakes us at their instants. It uses the in-memory job store
(APScheduler's SQLAlchemy store is synchronous and loses a date job handed to the
executor on a kill -9) and is rebuilt from the rows on start, on takeover, on a
wake-up and at least every second. Jobs are never dropped for lateness."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger("convene.scheduler")

UTC = dt.UTC


@dataclass(frozen=True)
class TimerSpec:
    """What the clock needs of a timer row."""

    id: str
    kind: str
    target: str
    due_at: dt.datetime


Fire = Callable[[TimerSpec], Awaitable[None]]

_FIRE: dict[str, Fire] = {}


async def run_timer(clock_id: str, timer_id: str, kind: str, target: str, due_iso: str) -> None:
    """The job function: module-level, only calls back into the owner of the clock."""
    fire = _FIRE.get(clock_id)
    if fire is not None:
        await fire(TimerSpec(timer_id, kind, target, dt.datetime.fromisoformat(due_iso)))


class AlarmClock:
    def __init__(self, clock_id: str, fire: Fire):
        self.clock_id = clock_id
        # A timer re-armed while its last run is still firing (waiting for its
        # session's lock) is a new run: with one instance APScheduler skipped it,
        # leaving it to the next second's sync. Runs are safe side by side: each
        # re-checks its row (due, done) under the lock and fires at most once.
        self._sched = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 4},
        )
        _FIRE[clock_id] = fire
        self._known: dict[str, dt.datetime] = {}

    def start(self) -> None:
        if not self._sched.running:
            self._sched.start()

    def stop(self) -> None:
        if self._sched.running:
            self._sched.shutdown(wait=False)
        self._known.clear()

    def sync(self, pending: Iterable[TimerSpec]) -> None:
        """Make the jobs exactly the pending timers (added, moved, removed)."""
        wanted = {t.id: t for t in pending}
        for tid in list(self._known):
            if tid not in wanted:
                self._remove(tid)
        for tid, t in wanted.items():
            if self._known.get(tid) == t.due_at:
                continue
            self._sched.add_job(
                run_timer,
                trigger=DateTrigger(run_date=t.due_at, timezone=UTC),
                args=[self.clock_id, t.id, t.kind, t.target, t.due_at.isoformat()],
                id=f"timer:{t.id}",
                replace_existing=True,
            )
            self._known[tid] = t.due_at

    def forget(self, timer_id: str) -> None:
        """A timer has fired (or was found done): drop it from the bookkeeping."""
        self._known.pop(timer_id, None)

    def _remove(self, tid: str) -> None:
        self._known.pop(tid, None)
        job = self._sched.get_job(f"timer:{tid}")
        if job is not None:
            job.remove()
