"""Answers of the webhook administration routes (see ``responses`` for why these are
declared but not re-validated)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class WebhookView(BaseModel):
    id: str
    event_id: str
    url: str
    events: list[str] | None = Field(description="the event types sent; null: all")
    active: bool
    failing: bool
    created_at: dt.datetime


class DeliveryQueued(BaseModel):
    delivery_id: str


class DeliveryRequeued(BaseModel):
    delivery_id: str
    state: Literal["pending"]


class Attempt(BaseModel):
    number: int
    started_at: dt.datetime
    duration_ms: float
    status_code: int | None
    error: str | None


class Delivery(BaseModel):
    id: str
    event_type: str
    session_id: str | None
    state: Literal["pending", "delivered", "failed"]
    attempts: list[Attempt]
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
