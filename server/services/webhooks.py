"""Webhooks: a durable outbox written in each event's own transaction, delivered by
a worker in every process (rows claimed with ``FOR UPDATE SKIP LOCKED`` and a lease),
signed once, retried with growing back-off, never lost to a restart or a kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import socket
import time

import httpx
import orjson
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.webhooks import (
    MAX_ATTEMPTS,
    TIMEOUT_S,
    BadTarget,
    backoff_s,
    check_url,
    non_global,
    sign,
)

from .. import errors
from .. import eventlog as el
from ..commands import BEFORE_COMMIT
from ..events import REGISTRY, WebhookFailing
from ..jsonish import z
from ..models import (
    Session,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)

log = logging.getLogger("convene.webhooks")

LEASE = dt.timedelta(seconds=TIMEOUT_S + 20)
BATCH = 20
# the contract's event types, also those stored under other names' modules
CONTRACT_TYPES = frozenset(
    {
        "session.status",
        "presence.joined",
        "presence.left",
        "presence.changed",
        "room.moved",
        "breakout.created",
        "breakout.opened",
        "breakout.closing",
        "breakout.closed",
        "broadcast.message",
        "help.requested",
        "floor.language",
        "channel.updated",
        "handover.requested",
        "handover.completed",
        "handover.expired",
        "channel.uncovered",
        "listening.changed",
        "listeners.changed",
        "help.resolved",
        "session.rescheduled",
        "session.overtime",
        "session.reminder",
        "turn.due",
    }
)


def known_types() -> frozenset[str]:
    return frozenset(REGISTRY) | CONTRACT_TYPES


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.to_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


async def check_target(url: str, allow_private: bool) -> None:
    """Raise ``BadTarget`` for a URL that is not http(s) or reaches non-global addresses."""
    host, port = check_url(url)
    if allow_private:
        return
    try:
        addresses = await resolve(host, port)
    except OSError:
        raise BadTarget(f"url {url!r}: the host {host!r} does not resolve") from None
    bad = non_global(addresses)
    if bad:
        raise BadTarget(
            f"url {url!r} resolves to {', '.join(bad)}, a private or local address; "
            "webhooks go to public addresses (set CONVENE_WEBHOOK_ALLOW_PRIVATE=1 for a "
            "closed network)"
        )


def public(w: Webhook) -> dict:
    return {
        "id": w.id,
        "event_id": w.event_id,
        "url": w.url,
        "events": w.events,
        "active": w.active,
        "failing": w.failing,
        "created_at": z(w.created_at),
    }


def body_of(delivery_id: str, type_: str, event_id: str, session_id, at, data) -> str:
    payload = {"id": delivery_id, "type": type_, "event_id": event_id}
    if session_id:
        payload["session_id"] = session_id
    payload.update(at=z(at), data=data)
    return orjson.dumps(payload).decode()


# ---- the outbox: rows in the event's own transaction -----------------------------------


async def enqueue(tx: AsyncSession, session: Session, records: list) -> None:
    hooks = (
        await tx.exec(select(Webhook).where(Webhook.event_id == session.event_id, Webhook.active))
    ).all()
    if not hooks:
        return
    for rec in records:
        for w in hooks:
            if w.events is not None and rec.type not in w.events:
                continue
            d = WebhookDelivery(
                webhook_id=w.id, event_type=rec.type, session_id=session.id, body=""
            )
            d.body = body_of(d.id, rec.type, session.event_id, session.id, rec.at, rec.data)
            tx.add(d)
    WAKE.set()


if enqueue not in BEFORE_COMMIT:
    BEFORE_COMMIT.append(enqueue)

WAKE = asyncio.Event()


# ---- the worker: any process claims due rows ---------------------------------------


async def claim(state) -> list[str]:
    now = utcnow()
    async with state.db.write() as tx:
        due = (
            await tx.exec(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.state == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    (WebhookDelivery.claimed_until.is_(None))
                    | (WebhookDelivery.claimed_until < now),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for d in due:
            d.claimed_until = now + LEASE
            tx.add(d)
        return [d.id for d in due]


async def deliver(state, client: httpx.AsyncClient, delivery_id: str) -> None:
    async with state.db.read() as tx:
        d = await tx.get(WebhookDelivery, delivery_id)
        w = await tx.get(Webhook, d.webhook_id) if d else None
    if d is None or w is None or d.state != "pending":
        return
    body = d.body.encode()
    started, t0 = utcnow(), time.perf_counter()
    status, error = None, None
    try:
        await check_target(w.url, state.settings.webhook_allow_private)
        r = await client.post(
            w.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Convene-Signature": sign(w.secret, body),
                "X-Convene-Delivery": d.id,
            },
        )
        status = r.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except BadTarget as exc:
        error = f"refused: {exc}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    await _record(state, d.id, started, (time.perf_counter() - t0) * 1000, status, error)


async def _record(state, delivery_id, started, duration_ms, status, error) -> None:
    failed_now = None
    async with state.db.write() as tx:
        d = await tx.get(WebhookDelivery, delivery_id)
        if d is None or d.state != "pending":
            return
        d.attempts += 1
        tx.add(
            WebhookAttempt(
                delivery_id=d.id,
                number=d.attempts,
                started_at=started,
                duration_ms=round(duration_ms, 1),
                status_code=status,
                error=error,
            )
        )
        d.claimed_until = None
        if error is None:
            d.state, d.delivered_at = "delivered", utcnow()
        elif d.attempts >= MAX_ATTEMPTS:
            d.state = "failed"
            w = await tx.get(Webhook, d.webhook_id)
            if w is not None:
                w.failing = True
                tx.add(w)
                failed_now = (w, d.id, d.event_type, d.attempts, error, d.session_id)
        else:
            wait = backoff_s(d.attempts, state.settings.webhook_backoff_s)
            d.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
        tx.add(d)
    if failed_now:
        await _tell_moderators(state, *failed_now)


async def _tell_moderators(state, w: Webhook, delivery_id, event_type, attempts, error, sid):
    async with state.db.read() as tx:
        sessions = (
            await tx.exec(
                select(Session.id).where(
                    Session.event_id == w.event_id, Session.status.in_(["lobby", "live"])
                )
            )
        ).all()
    targets = set(sessions) | ({sid} if sid else set())
    for session_id in targets:

        async def work(tx, s, log):
            log.emit(
                WebhookFailing(
                    webhook_id=w.id,
                    url=w.url,
                    delivery_id=delivery_id,
                    event_type=event_type,
                    attempts=attempts,
                    last_error=error,
                ),
                [el.MODERATORS],
            )

        with contextlib.suppress(errors.Problem):
            await state.commands.run(session_id, work, by=None)


async def worker(state) -> None:
    """Runs in every process; rows are claimed, so two workers never send one twice."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False) as client:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(WAKE.wait(), 0.5)
            WAKE.clear()
            try:
                ids = await claim(state)
                await asyncio.gather(*(deliver(state, client, i) for i in ids))
                if len(ids) == BATCH:
                    WAKE.set()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery round failed")


async def start(state) -> list[asyncio.Task]:
    return [asyncio.create_task(worker(state), name="webhooks")]
