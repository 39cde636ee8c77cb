"""Webhooks, their queued deliveries and each delivery attempt."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime
from .columns import _created, _event_fk, _id, _ts, utcnow


class Webhook(SQLModel, table=True):
    """Whoever adds or removes one, or changes ``events`` or ``active``, calls
    ``services.webhooks.hooks_changed`` in the same transaction, first: each process's
    outbox keeps a copy of these (``services.webhooks.Outbox``)."""

    __tablename__ = "webhooks"

    id: str = _id()
    event_id: str = _event_fk()
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    # after a rotation with keep_previous_s: the old secret also signs until then
    previous_secret: str | None = Field(default=None, max_length=200)
    previous_secret_until: dt.datetime | None = _ts(nullable=True)
    events: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    active: bool = True
    failing: bool = False
    created_at: dt.datetime = _created()


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one row per (webhook, event), written in the event's own
    transaction; ``body`` is built once, so every retry sends the same signed bytes."""

    __tablename__ = "webhook_deliveries"

    id: str = _id()
    webhook_id: str = Field(
        foreign_key="webhooks.id", index=True, max_length=36, ondelete="CASCADE"
    )
    event_type: str = Field(max_length=64)
    session_id: str | None = Field(default=None, max_length=36)
    body: str
    state: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    claimed_until: dt.datetime | None = _ts(nullable=True)
    created_at: dt.datetime = _created()
    delivered_at: dt.datetime | None = _ts(nullable=True)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(
        foreign_key="webhook_deliveries.id", index=True, max_length=36, ondelete="CASCADE"
    )
    number: int
    started_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    duration_ms: float = 0
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
