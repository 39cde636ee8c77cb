"""Webhooks of an event: register, list, delete, rotate the secret, ping, see every
delivery attempt, redeliver."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import AfterValidator, Field, StrictInt, field_validator

from scheduler.webhooks import standard_key

from ..deps import CallerDep, StateDep
from ..responses import model
from ..responses_webhooks import Delivery, DeliveryQueued, DeliveryRequeued, WebhookView
from ..schemas import Strict
from ..services import webhook_admin as admin
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


@router.post("", status_code=201, responses=model(201, WebhookView))
async def create_webhook(event_id: str, body: WebhookCreate, caller: CallerDep, state: StateDep):
    return await admin.create_webhook(state, caller, event_id, body)


@router.get("", responses=model(200, list[WebhookView]))
async def list_webhooks(event_id: str, caller: CallerDep, state: StateDep):
    return await admin.list_webhooks(state, caller, event_id)


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(event_id: str, webhook_id: str, caller: CallerDep, state: StateDep):
    await admin.delete_webhook(state, caller, event_id, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", responses=model(200, WebhookView))
async def rotate_secret(
    event_id: str, webhook_id: str, body: SecretRotate, caller: CallerDep, state: StateDep
):
    """From now on every attempt is signed with the new secret, also the retries and
    redeliveries of deliveries queued before (their bytes do not change); with
    ``keep_previous_s``, ``webhook-signature`` carries the old secret's signature as well
    for that long; see docs/webhooks.md."""
    return await admin.rotate_secret(state, caller, event_id, webhook_id, body)


@router.post("/{webhook_id}/ping", status_code=202, responses=model(202, DeliveryQueued))
async def ping(event_id: str, webhook_id: str, caller: CallerDep, state: StateDep):
    return await admin.ping(state, caller, event_id, webhook_id)


@router.get("/{webhook_id}/deliveries", responses=model(200, list[Delivery]))
async def deliveries(event_id: str, webhook_id: str, caller: CallerDep, state: StateDep):
    """Every delivery with every attempt: status code or error, start and duration."""
    return await admin.list_deliveries(state, caller, event_id, webhook_id)


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
    return await admin.redeliver(state, caller, event_id, webhook_id, delivery_id)
