"""The delivery worker of every process polls the outbox twice a second. While nothing
is due, a poll is one read: no write transaction, so on SQLite it never takes the
write lock a command (a broadcast) would then wait for, and on PostgreSQL it locks
no row (issue 19). A due delivery is still claimed and leased by the same poll."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from server.db import Database
from server.models import Event, Webhook, WebhookDelivery, utcnow
from server.services.webhooks import claim

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]


def _writes(db: Database) -> list[str]:
    """What takes a lock: SQLite's write transaction, a row lock, an update."""
    seen: list[str] = []

    def statement(conn, cursor, sql, *args):
        if any(w in sql.upper() for w in ("BEGIN IMMEDIATE", "FOR UPDATE", "UPDATE ")):
            seen.append(sql)

    event.listen(db.writer.sync_engine, "before_cursor_execute", statement)
    return seen


async def test_an_idle_poll_is_a_read_and_a_due_delivery_is_still_claimed(migrated_db):
    state = SimpleNamespace(db=migrated_db)
    async with migrated_db.write() as tx:
        ev = Event(title="E", timezone="UTC", floor_language="en")
        tx.add(ev)
        await tx.flush()
        hook = Webhook(event_id=ev.id, url="https://hooks.example/x", secret="s" * 16)
        tx.add(hook)
        await tx.flush()
        later = WebhookDelivery(
            webhook_id=hook.id,
            event_type="session.status",
            body="{}",
            next_attempt_at=utcnow() + dt.timedelta(minutes=5),
        )
        tx.add(later)
    writes = _writes(migrated_db)
    for _ in range(3):
        assert await claim(state, {}, 50) == ([], False)  # pending, not due yet
    assert writes == []

    async with migrated_db.write() as tx:
        due = await tx.get(WebhookDelivery, later.id)
        due.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
        tx.add(due)
    writes.clear()
    assert await claim(state, {}, 50) == ([(later.id, hook.id)], False)
    assert writes  # the claim itself is a write (the lease)
    async with migrated_db.read() as tx:
        assert (await tx.get(WebhookDelivery, later.id)).claimed_until > utcnow()
    assert await claim(state, {}, 50) == ([], False)  # leased: not claimed twice
