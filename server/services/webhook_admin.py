"""Webhook commands of an event's operator: register, delete, rotate the secret, ping,
redeliver; and the reads (list, deliveries). Each checks ``webhook:manage`` inside
its own transaction."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.webhooks import BadTarget

from .. import errors
from ..auth import Caller, Perm, load_event
from ..events import WebhookPing
from ..jsonish import z
from ..models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from ..state import AppState
from . import webhooks as svc
from .webhook_sending import check_target


async def _hook(tx: AsyncSession, caller: Caller, event_id: str, webhook_id: str) -> Webhook:
    await load_event(tx, caller, event_id, Perm.webhook_manage)
    w = await tx.get(Webhook, webhook_id)
    if w is None or w.event_id != event_id:
        raise errors.NotFound(f"webhook {webhook_id} does not exist in this event")
    return w


async def create_webhook(state: AppState, caller: Caller, event_id: str, body) -> dict:
    """The target is resolved outside any transaction (DNS can take seconds)."""
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.webhook_manage)
    try:
        await check_target(body.url, state.settings.webhook_allow_private)
    except BadTarget as exc:
        raise errors.Invalid(str(exc), field="url", value=body.url) from None
    w = Webhook(event_id=event_id, url=body.url, secret=body.secret, events=body.events)
    async with state.db.write() as tx:
        await load_event(tx, caller, event_id, Perm.webhook_manage)
        await svc.hooks_changed(tx, event_id)
        tx.add(w)
    return svc.public(w)


async def list_webhooks(state: AppState, caller: Caller, event_id: str) -> list[dict]:
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.webhook_manage)
        rows = (await tx.exec(select(Webhook).where(Webhook.event_id == event_id))).all()
    return [svc.public(w) for w in rows]


async def delete_webhook(state: AppState, caller: Caller, event_id: str, webhook_id: str) -> None:
    async with state.db.write() as tx:
        w = await _hook(tx, caller, event_id, webhook_id)
        await svc.hooks_changed(tx, event_id)
        await tx.delete(w)


async def rotate_secret(
    state: AppState, caller: Caller, event_id: str, webhook_id: str, body
) -> dict:
    async with state.db.write() as tx:
        w = await _hook(tx, caller, event_id, webhook_id)
        if body.keep_previous_s:
            w.previous_secret = w.secret
            w.previous_secret_until = utcnow() + dt.timedelta(seconds=body.keep_previous_s)
        else:
            w.previous_secret, w.previous_secret_until = None, None
        w.secret = body.secret
        w.failing = False
        tx.add(w)
    return svc.public(w)


async def ping(state: AppState, caller: Caller, event_id: str, webhook_id: str) -> dict:
    async with state.db.write() as tx:
        w = await _hook(tx, caller, event_id, webhook_id)
        d = WebhookDelivery(webhook_id=w.id, event_type="webhook.ping", body="")
        data = WebhookPing(webhook_id=w.id).model_dump(mode="json")
        d.body = svc.body_of(d.id, "webhook.ping", event_id, None, utcnow(), data)
        tx.add(d)
    svc.wake(state.db.memo).set()
    return {"delivery_id": d.id}


async def list_deliveries(
    state: AppState, caller: Caller, event_id: str, webhook_id: str
) -> list[dict]:
    async with state.db.read() as tx:
        await _hook(tx, caller, event_id, webhook_id)
        rows = (
            await tx.exec(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.created_at.desc())
                .limit(500)
            )
        ).all()
        ids = [d.id for d in rows]
        attempts = (
            (
                await tx.exec(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id.in_(ids))
                    .order_by(WebhookAttempt.number)
                )
            ).all()
            if ids
            else []
        )
    by: dict[str, list[dict]] = {}
    for a in attempts:
        by.setdefault(a.delivery_id, []).append(
            {
                "number": a.number,
                "started_at": z(a.started_at),
                "duration_ms": a.duration_ms,
                "status_code": a.status_code,
                "error": a.error,
            }
        )
    return [
        {
            "id": d.id,
            "event_type": d.event_type,
            "session_id": d.session_id,
            "state": d.state,
            "attempts": by.get(d.id, []),
            "next_attempt_at": z(d.next_attempt_at) if d.state == "pending" else None,
            "created_at": z(d.created_at),
            "delivered_at": z(d.delivered_at) if d.delivered_at else None,
        }
        for d in rows
    ]


async def redeliver(
    state: AppState, caller: Caller, event_id: str, webhook_id: str, delivery_id: str
) -> dict:
    async with state.db.write() as tx:
        await _hook(tx, caller, event_id, webhook_id)
        d = (
            await tx.exec(
                select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
            )
        ).first()
        if d is None or d.webhook_id != webhook_id:
            raise errors.NotFound(f"delivery {delivery_id} does not exist for this webhook")
        now = utcnow()
        if d.state == "pending" and d.claimed_until is not None and d.claimed_until > now:
            # a worker is sending it right now: sending it again would send it twice
            raise errors.Conflict(
                f"delivery {delivery_id} is being sent right now; "
                "redeliver it once its attempt shows in the deliveries list"
            )
        d.state, d.next_attempt_at, d.claimed_until = "pending", now, None
        tx.add(d)
    svc.wake(state.db.memo).set()
    return {"delivery_id": d.id, "state": "pending"}
