"""Webhooks of an event: register, list, delete, rotate the secret, ping, see every
delivery attempt, redeliver."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import AfterValidator, Field, StrictInt, field_validator
from sqlmodel import select

from scheduler.webhooks import BadTarget, standard_key

from .. import errors
from ..auth import Perm, load_event
from ..deps import CallerDep, StateDep
from ..events import WebhookPing
from ..jsonish import z
from ..models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from ..responses import Delivery, DeliveryQueued, DeliveryRequeued, WebhookView, model
from ..schemas import Strict
from ..services import webhooks as svc

router = APIRouter(prefix="/api/events/{event_id}/webhooks", tags=["webhooks"])


def _standard_key(secret: str) -> str:
    standard_key(secret)  # a whsec_ secret must decode; the message names no part of it
    return secret


Secret = Annotated[str, Field(min_length=8, max_length=200), AfterValidator(_standard_key)]


class WebhookCreate(Strict):
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    secret: Secret
    events: list[str] | None = Field(None, max_length=100)

    @field_validator("events")
    @classmethod
    def _known(cls, v):
        if v is None:
            return v
        unknown = sorted(set(v) - svc.known_types())
        if unknown:
            raise ValueError(
                f"unknown event types {', '.join(unknown)}; see docs/protocol.md for the list"
            )
        return sorted(set(v))


class SecretRotate(Strict):
    secret: Secret
    # the old secret also signs webhook-signature for this long (0: not at all)
    keep_previous_s: Annotated[StrictInt, Field(ge=0, le=86400)] = 0


async def _target_ok(state, url: str) -> None:
    try:
        await svc.check_target(url, state.settings.webhook_allow_private)
    except BadTarget as exc:
        raise errors.Invalid(str(exc), field="url", value=url) from None


async def _hook(tx, caller, event_id: str, webhook_id: str) -> Webhook:
    await load_event(tx, caller, event_id, Perm.webhook_manage)
    w = await tx.get(Webhook, webhook_id)
    if w is None or w.event_id != event_id:
        raise errors.NotFound(f"webhook {webhook_id} does not exist in this event")
    return w


@router.post("", status_code=201, responses=model(201, WebhookView))
async def create_webhook(event_id: str, body: WebhookCreate, caller: CallerDep, state: StateDep):
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.webhook_manage)
    await _target_ok(state, body.url)
    w = Webhook(event_id=event_id, url=body.url, secret=body.secret, events=body.events)
    async with state.db.write() as tx:
        tx.add(w)
    return svc.public(w)


@router.get("", responses=model(200, list[WebhookView]))
async def list_webhooks(event_id: str, caller: CallerDep, state: StateDep):
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.webhook_manage)
        rows = (await tx.exec(select(Webhook).where(Webhook.event_id == event_id))).all()
    return [svc.public(w) for w in rows]


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(event_id: str, webhook_id: str, caller: CallerDep, state: StateDep):
    async with state.db.write() as tx:
        w = await _hook(tx, caller, event_id, webhook_id)
        await tx.delete(w)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", responses=model(200, WebhookView))
async def rotate_secret(
    event_id: str, webhook_id: str, body: SecretRotate, caller: CallerDep, state: StateDep
):
    """From now on every attempt is signed with the new secret, also the retries and
    redeliveries of deliveries queued before (their bytes do not change); with
    ``keep_previous_s``, ``webhook-signature`` carries the old secret's signature as well
    for that long; see docs/webhooks.md."""
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


@router.post("/{webhook_id}/ping", status_code=202, responses=model(202, DeliveryQueued))
async def ping(event_id: str, webhook_id: str, caller: CallerDep, state: StateDep):
    async with state.db.write() as tx:
        w = await _hook(tx, caller, event_id, webhook_id)
        d = WebhookDelivery(webhook_id=w.id, event_type="webhook.ping", body="")
        data = WebhookPing(webhook_id=w.id).model_dump(mode="json")
        d.body = svc.body_of(d.id, "webhook.ping", event_id, None, utcnow(), data)
        tx.add(d)
    svc.WAKE.set()
    return {"delivery_id": d.id}


@router.get("/{webhook_id}/deliveries", responses=model(200, list[Delivery]))
async def deliveries(event_id: str, webhook_id: str, caller: CallerDep, state: StateDep):
    """Every delivery with every attempt: status code or error, start and duration."""
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
    by = {}
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


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses=model(202, DeliveryRequeued),
)
async def redeliver(
    event_id: str, webhook_id: str, delivery_id: str, caller: CallerDep, state: StateDep
):
    """Send a delivery again (the same id and bytes) now, e.g. after a failed one. A
    delivery that had used up its attempts is failed again if this one fails. 409 while
    an attempt of it is in flight (a claim lasts at most 30 s)."""
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
    svc.WAKE.set()
    return {"delivery_id": d.id, "state": "pending"}
