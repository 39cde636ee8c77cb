"""Running a command: lock the session, change state, store events, commit, publish.

Nothing is published unless the transaction commits; the broker only wakes the
gateways, which read what they send from the log. The features' followers and
before-commit hooks come from the app's ``Wiring`` (``server/wiring.py``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from .broker import Broker
from .db import Database
from .eventlog import EventLog, LogRecord, lock_session
from .models import Session
from .settings import Settings
from .wiring import Wiring

T = TypeVar("T")
Work = Callable[[AsyncSession, Session, EventLog], Awaitable[T]]
Logs = Callable[[Iterable[str]], Awaitable[list[EventLog]]]

log = logging.getLogger("convene.commands")


class Commands:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        wiring: Wiring | None = None,
        *,
        large_room: int = Settings.model_fields["large_room"].default,
        validate_events: bool = Settings.model_fields["validate_events"].default,
    ):
        self.db = db
        self.broker = broker
        self.large_room = large_room
        self.validate_events = validate_events
        wiring = wiring or Wiring()
        self.wiring = wiring
        # this app's own: what this process adds at start (metrics) stays with it
        self.followers = list(wiring.followers)
        self.before_commit_hooks = list(wiring.before_commit)
        self.after_commit: list[Callable[[str, int], None]] = []
        # this process's feeds take the committed records themselves (``Hub.handoff``)
        self.handoff: list[Callable[[str, list[LogRecord]], None]] = []

    async def run(self, session_id: str, work: Work[T], *, by: str | None) -> T:
        async with self.db.write() as tx:
            session = await lock_session(tx, session_id)
            log_ = self.log(tx, session, by)
            result = await work(tx, session, log_)
            await self.before_commit(tx, session, log_, command=_name(work))
        if log_.records:
            await self.published(session_id, log_.last_seq, log_.records)
        return result

    async def run_many(
        self, work: Callable[[AsyncSession, Logs], Awaitable[T]], *, by: str | None
    ) -> T:
        """One transaction over several sessions (an event's change reaches all of its
        sessions, or none): ``work(tx, logs)`` locks the sessions it names through
        ``await logs(ids)`` (in id order, so two such commands cannot deadlock)."""
        opened: list[EventLog] = []

        async def logs(session_ids: Iterable[str]) -> list[EventLog]:
            out = []
            for sid in sorted(session_ids):
                s = await lock_session(tx, sid)
                out.append(self.log(tx, s, by))
            opened.extend(out)
            return out

        async with self.db.write() as tx:
            result = await work(tx, logs)
            for log_ in opened:
                await self.before_commit(tx, log_.session, log_, command=_name(work))
        for log_ in opened:
            if log_.records:
                await self.published(log_.session.id, log_.last_seq, log_.records)
        return result

    def log(self, tx: AsyncSession, session: Session, by: str | None) -> EventLog:
        """The event log of one locked session in ``tx``, with this app's settings."""
        return EventLog(tx, session, by, large_room=self.large_room, validate=self.validate_events)

    async def before_commit(
        self, tx: AsyncSession, session: Session, log_: EventLog, *, command: str
    ) -> None:
        """The followers, then the before-commit hooks; a failure is logged with the
        command and the session, and the transaction rolls back."""
        if not log_.records:
            return
        for hook in self.followers:
            await _logged(hook(tx, session, log_), hook, command, session)
        for hook in self.before_commit_hooks:
            await _logged(hook(tx, session, log_.records), hook, command, session)

    async def published(
        self, session_id: str, seq: int, records: list[LogRecord] | None = None
    ) -> None:
        """After a commit: ``records`` (what it stored) to this process's feeds, then
        the wake-ups here and, through the broker, in every process."""
        if records:
            for give in self.handoff:
                give(session_id, records)
        for hook in self.after_commit:  # this process first (metrics, its own feeds)
            hook(session_id, seq)
        await self.broker.publish(session_id, seq)


async def _logged(call: Awaitable[None], hook, command: str, session: Session) -> None:
    try:
        await call
    except Exception:
        log.exception("%s failed after command %s in session %s", _name(hook), command, session.id)
        raise


def _name(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
