"""Running a command: lock the session, change state, store events, commit, publish.

Nothing is published unless the transaction commits; the broker only wakes the
gateways, which read what they send from the log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from .broker import Broker
from .db import Database
from .eventlog import EventLog, lock_session
from .models import Session

T = TypeVar("T")
Work = Callable[[AsyncSession, Session, EventLog], Awaitable[T]]

# Called inside the transaction, after the work, with the events it stored (e.g. the
# webhook outbox writes its rows here, so they commit or roll back with the events).
BeforeCommit = Callable[[AsyncSession, Session, list], Awaitable[None]]
BEFORE_COMMIT: list[BeforeCommit] = []


# Features whose state follows the events of the transaction (interpretation follows
# moves, presence and rounds); they may store more events, which the hooks below see.
FOLLOWERS: list[Callable[[AsyncSession, Session, EventLog], Awaitable[None]]] = []


async def before_commit(tx: AsyncSession, session: Session, log: EventLog) -> None:
    if log.records:
        for follow in FOLLOWERS:
            await follow(tx, session, log)
        for hook in BEFORE_COMMIT:
            await hook(tx, session, log.records)


class Commands:
    def __init__(self, db: Database, broker: Broker):
        self.db = db
        self.broker = broker
        self.after_commit: list[Callable[[str, int], None]] = []

    async def run(self, session_id: str, work: Work[T], *, by: str | None) -> T:
        async with self.db.write() as tx:
            session = await lock_session(tx, session_id)
            log = EventLog(tx, session, by)
            result = await work(tx, session, log)
            await before_commit(tx, session, log)
        if log.records:
            await self.published(session_id, log.last_seq)
        return result

    async def published(self, session_id: str, seq: int) -> None:
        for hook in self.after_commit:  # this process first (metrics, its own feeds)
            hook(session_id, seq)
        await self.broker.publish(session_id, seq)
