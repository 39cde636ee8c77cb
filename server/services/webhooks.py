"""Webhooks: a durable outbox written in each event's own transaction, delivered by
a worker in every process (rows claimed with ``FOR UPDATE SKIP LOCKED`` and a lease),
signed once, retried with growing back-off, never lost to a restart or a kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import time
from dataclasses import dataclass

import httpx
import orjson
from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.webhooks import (
    TIMEOUT_S,
    BadTarget,
    backoff_s,
    describe_status,
    sign,
    standard_key,
    standard_signatures,
)

from .. import errors, metrics
from .. import eventlog as el
from ..event_registry import REGISTRY
from ..events import WebhookFailing
from ..jsonish import z
from ..models import (
    Session,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)
from .webhook_sending import new_client, send

log = logging.getLogger("convene.webhooks")

# A claimed row is left alone by other processes for LEASE; one attempt (resolution,
# connect, request and response together) is cut off after TIMEOUT_S, well inside it,
# so a lease never lapses while its attempt is still running.
LEASE = dt.timedelta(seconds=3 * TIMEOUT_S)
assert LEASE.total_seconds() >= 2 * TIMEOUT_S
# Attempts in flight in one process, in all and per webhook: a slow or dead receiver
# holds at most PER_TARGET of them, never the claim loop or the others' slots. A row is
# claimed only when its attempt can start at once, so no lease runs out in a queue.
IN_FLIGHT = 50
PER_TARGET = 2
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

# Set while a notice that has already been queued for webhooks is stored in further
# sessions (moderators of every session are told; integrators once).
_NO_OUTBOX: contextvars.ContextVar[bool] = contextvars.ContextVar("no_outbox", default=False)


def wanted(w: Webhook, rec) -> bool:
    """Whether event ``rec`` goes to webhook ``w``. Notices about webhooks
    (``webhook.*``) never go to the webhook they are about, nor to a webhook that is
    failing itself: its failure would make another notice, and so on forever."""
    if w.events is not None and rec.type not in w.events:
        return False
    if w.events is None and rec.type.startswith("chat."):  # private: only when listed
        return False
    if rec.type.startswith("webhook."):
        about = (rec.data or {}).get("webhook_id")
        if w.failing or about == w.id:
            return False
    return True


@dataclass(frozen=True, slots=True)
class Hook:
    """What the outbox reads of an active webhook to route an event that is not about
    webhooks (``wanted``): ``failing`` only matters for those, which read the rows."""

    id: str
    events: tuple[str, ...] | None


async def _active(tx: AsyncSession, event_id: str) -> list[Webhook]:
    return list(
        (await tx.exec(select(Webhook).where(Webhook.event_id == event_id, Webhook.active))).all()
    )


async def hooks_changed(tx: AsyncSession, event_id: str) -> None:
    """In the transaction that adds or removes a webhook of the event, before it does:
    moves the ``webhooks_stamp`` of every session of the event, which tells every
    process's ``Outbox`` to read the event's webhooks again. The session rows are taken
    in id order (the order ``Commands.run_many`` takes them) and before the webhook row:
    a command holding a session may be waiting for that row (its delivery's foreign
    key), never the other way round. A command that locked a session before this commits
    still sees the webhooks as they were, and is ordered before the change."""
    sessions = Session.__table__
    await tx.exec(
        select(sessions.c.id)
        .where(sessions.c.event_id == event_id)
        .order_by(sessions.c.id)
        .with_for_update()
    )
    await tx.exec(
        update(sessions)
        .where(sessions.c.event_id == event_id)
        .values(webhooks_stamp=sessions.c.webhooks_stamp + 1)
    )


class Outbox:
    """Writes the outbox rows of a command's events (a before-commit hook). The event's
    active webhooks are kept per session with the session's ``webhooks_stamp`` as read
    under the command's lock, and read again when it has moved, so a command reads the
    webhooks table only after a webhook was added or removed (in any process). One per
    app: two apps in one process share nothing."""

    MAX_SESSIONS = 10_000

    def __init__(self) -> None:
        self._hooks: dict[str, tuple[int, tuple[Hook, ...]]] = {}  # session -> (stamp, hooks)

    async def _hooks_of(self, tx: AsyncSession, session: Session) -> tuple[Hook, ...]:
        kept = self._hooks.get(session.id)
        if kept is not None and kept[0] == session.webhooks_stamp:
            return kept[1]
        hooks = tuple(
            Hook(w.id, None if w.events is None else tuple(w.events))
            for w in await _active(tx, session.event_id)
        )
        if len(self._hooks) >= self.MAX_SESSIONS:
            self._hooks.clear()
        self._hooks[session.id] = (session.webhooks_stamp, hooks)
        return hooks

    async def enqueue(self, tx: AsyncSession, session: Session, records: list) -> None:
        if _NO_OUTBOX.get():
            return
        if any(rec.type.startswith("webhook.") for rec in records):
            hooks = await _active(tx, session.event_id)  # ``failing`` decides: the rows
        else:
            hooks = await self._hooks_of(tx, session)
        if not hooks:
            return
        for rec in records:
            for w in hooks:
                if not wanted(w, rec):
                    continue
                d = WebhookDelivery(
                    webhook_id=w.id, event_type=rec.type, session_id=session.id, body=""
                )
                d.body = body_of(d.id, rec.type, session.event_id, session.id, rec.at, rec.data)
                tx.add(d)
        wake(tx.info["memo"]).set()


def wake(memo: dict) -> asyncio.Event:
    """The worker's wake-up of one app (its ``Database``'s memo: ``state.db.memo`` or a
    transaction's ``tx.info["memo"]``), so that two apps in one process, each in its
    own event loop, share none: a module-level event binds to the first loop it waits
    in."""
    event = memo.get("webhooks.wake")
    if event is None:
        event = memo["webhooks.wake"] = asyncio.Event()
    return event


# ---- the worker: any process claims due rows ---------------------------------------


async def claim(state, busy: dict[str, int], free: int) -> tuple[list[tuple[str, str]], bool]:
    """Lease up to ``free`` due rows, at most ``PER_TARGET`` in flight per webhook
    counting ``busy`` (webhook id -> attempts in flight here): ``[(delivery, webhook)]``
    and whether more rows were due."""
    now = utcnow()
    full = [wid for wid, n in busy.items() if n >= PER_TARGET]
    due = [
        WebhookDelivery.state == "pending",
        WebhookDelivery.next_attempt_at <= now,
        (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until < now),
    ]
    if full:
        due.append(WebhookDelivery.webhook_id.not_in(full))
    # most polls find nothing due: one read says so, without the write transaction (on
    # SQLite the write lock a broadcast would wait for) that a claim needs
    async with state.db.quick() as tx:
        if (await tx.exec(select(WebhookDelivery.id).where(*due).limit(1))).first() is None:
            return [], False
    query = (
        select(WebhookDelivery)
        .where(*due)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(free * PER_TARGET)
        .with_for_update(skip_locked=True)
    )
    picked: list[tuple[str, str]] = []
    taken: dict[str, int] = {}
    async with state.db.write() as tx:
        due = (await tx.exec(query)).all()
        for d in due:
            if len(picked) == free:
                break
            if busy.get(d.webhook_id, 0) + taken.get(d.webhook_id, 0) >= PER_TARGET:
                continue
            taken[d.webhook_id] = taken.get(d.webhook_id, 0) + 1
            d.claimed_until = now + LEASE
            tx.add(d)
            picked.append((d.id, d.webhook_id))
    return picked, len(due) > len(picked)


def _key(secret: str) -> bytes:
    try:
        return standard_key(secret)
    except ValueError:  # a whsec_ secret stored before they were checked: used as given
        return secret.encode()


def signed_headers(w: Webhook, delivery_id: str, body: bytes, now: dt.datetime) -> dict:
    """The headers of one attempt. ``X-Convene-Signature`` signs the stored bytes with
    the webhook's secret of the moment (the same on every attempt until a rotation);
    ``webhook-signature`` (Standard Webhooks) also signs this attempt's timestamp, and
    carries the previous secret's signature too while it is kept after a rotation."""
    keys = [_key(w.secret)]
    until = w.previous_secret_until
    if w.previous_secret and until is not None and until > now:
        keys.append(_key(w.previous_secret))
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "X-Convene-Signature": sign(w.secret, body),
        "X-Convene-Delivery": delivery_id,
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signatures(keys, delivery_id, timestamp, body),
    }


async def deliver(state, client: httpx.AsyncClient, delivery_id: str) -> None:
    async with state.db.read() as tx:
        d = await tx.get(WebhookDelivery, delivery_id)
        w = await tx.get(Webhook, d.webhook_id) if d else None
    if d is None or w is None or d.state != "pending":
        return
    body = d.body.encode()
    started, t0 = utcnow(), time.perf_counter()
    headers = signed_headers(w, d.id, body, started)
    status, error, final, outcome = None, None, False, "network_error"
    try:
        status = await send(client, w.url, body, headers, state.settings.webhook_allow_private)
        error = describe_status(status)
        outcome = "http_error" if error else "delivered"
    except BadTarget as exc:
        error, final, outcome = f"refused: {exc}", exc.final, "refused"
    except TimeoutError:
        error, outcome = f"no answer within {TIMEOUT_S:g} s", "timeout"
    except (httpx.HTTPError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # recorded as this attempt's failure, never left claimed
        log.exception("webhook %s: attempt failed unexpectedly", w.id)
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        error = error[:500]
    duration_ms = (time.perf_counter() - t0) * 1000
    if (m := metrics.webhooks(state)) is not None:
        m.attempts.labels(outcome).inc()
        m.duration.observe(duration_ms / 1000)
    await _record(state, d.id, started, duration_ms, status, error, final)


async def _record(state, delivery_id, started, duration_ms, status, error, final=False) -> None:
    """Store one attempt; ``final``: the target can never be called, so the delivery
    fails now instead of being retried (and counts towards ``failing`` at once)."""
    failed_now, finished = None, None
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
            finished = "delivered"
            d.state, d.delivered_at = "delivered", utcnow()
            w = await tx.get(Webhook, d.webhook_id)
            if w is not None and w.failing:  # the receiver is back
                w.failing = False
                tx.add(w)
        elif final or d.attempts >= state.settings.webhook_max_attempts:
            finished = "failed"
            d.state = "failed"
            w = await tx.get(Webhook, d.webhook_id)
            if w is not None:
                if not w.failing:  # moderators are told when it becomes failing
                    failed_now = (w, d.id, d.event_type, d.attempts, error, d.session_id)
                w.failing = True
                tx.add(w)
        else:
            wait = backoff_s(d.attempts, state.settings.webhook_backoff_s)
            d.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
        tx.add(d)
    if finished and (m := metrics.webhooks(state)) is not None:
        m.deliveries.labels(finished).inc()
    if failed_now:
        await _tell_moderators(state, *failed_now)


async def _tell_moderators(state, w: Webhook, delivery_id, event_type, attempts, error, sid):
    """``webhook.failing`` to the moderators of every session of the event that has not
    ended or been cancelled (and of the delivery's own session), so it is seen whether
    or not a session is running; queued for the event's other webhooks once."""
    async with state.db.read() as tx:
        sessions = (
            await tx.exec(
                select(Session.id)
                .where(
                    Session.event_id == w.event_id,
                    Session.status.not_in(["ended", "cancelled"]),
                )
                .order_by(Session.start)
            )
        ).all()
    targets = list(dict.fromkeys([*([sid] if sid else []), *sessions]))
    if not targets:
        log.warning(
            "webhook %s of event %s is failing (%s); the event has no session to tell "
            "its moderators in: the webhook list shows it as failing",
            w.id,
            w.event_id,
            error,
        )
    queued = False
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

        token = _NO_OUTBOX.set(queued)
        try:
            await state.commands.run(session_id, work, by=None)
            queued = True
        except errors.Problem:
            pass
        finally:
            _NO_OUTBOX.reset(token)


async def _attempt(state, client, delivery_id: str, webhook_id: str, busy) -> None:
    try:
        await deliver(state, client, delivery_id)
    except Exception:
        log.exception("webhook delivery %s failed unexpectedly", delivery_id)
    finally:
        busy[webhook_id] -= 1
        if not busy[webhook_id]:
            del busy[webhook_id]
        wake(state.db.memo).set()  # a slot is free


async def worker(state) -> None:
    """Runs in every process; rows are claimed, so two workers never send one twice.
    The loop only claims and starts attempts; it never waits for one."""
    busy: dict[str, int] = {}
    running: set[asyncio.Task] = set()
    woken = wake(state.db.memo)
    async with new_client() as client:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), 0.5)
                woken.clear()
                free = IN_FLIGHT - len(running)
                if free <= 0:
                    continue
                try:
                    picked, more = await claim(state, busy, free)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook claim round failed")
                    continue
                for delivery_id, webhook_id in picked:
                    busy[webhook_id] = busy.get(webhook_id, 0) + 1
                    task = asyncio.create_task(
                        _attempt(state, client, delivery_id, webhook_id, busy)
                    )
                    running.add(task)
                    task.add_done_callback(running.discard)
                if more and picked:
                    woken.set()
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)


async def start(state) -> list[asyncio.Task]:
    return [asyncio.create_task(worker(state), name="webhooks")]
