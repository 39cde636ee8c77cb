"""Typed schemas of the interpretation events (``interpretation`` emits them as
dataclasses; each is validated here before it is stored)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from .events import ChannelObject, EventData


class ChannelUpdated(EventData):
    type: ClassVar[str] = "channel.updated"
    room_id: str
    channel: ChannelObject
    removed: bool = False


class FloorLanguage(EventData):
    type: ClassVar[str] = "floor.language"
    room_id: str
    language: str
    previous: str


class _Handover(EventData):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    request_id: str
    room_id: str
    language: str
    from_: str = Field(alias="from")
    to: str


class HandoverRequested(_Handover):
    type: ClassVar[str] = "handover.requested"
    expires_at: dt.datetime
    reason: Literal["request", "dropout"]


class HandoverCompleted(_Handover):
    type: ClassVar[str] = "handover.completed"


class HandoverExpired(_Handover):
    type: ClassVar[str] = "handover.expired"


class HandoverCancelled(_Handover):
    type: ClassVar[str] = "handover.cancelled"
    reason: str


class ChannelUncovered(EventData):
    type: ClassVar[str] = "channel.uncovered"
    room_id: str
    language: str
    listeners: int
    reason: str


class ListeningChanged(EventData):
    type: ClassVar[str] = "listening.changed"
    person_id: str
    room_id: str | None
    language: str
    previous: str | None = None
    fallback_reason: str | None = None
    requested: str | None = None
    reason: str | None = None  # e.g. "channel_available": their chosen channel is back


class ListenersChanged(EventData):
    type: ClassVar[str] = "listeners.changed"
    room_id: str
    counts: dict[str, int]


class TurnDue(EventData):
    type: ClassVar[str] = "turn.due"
    room_id: str
    language: str
    person_id: str
    partner_id: str | None
    on_air_s: int


SCHEMAS: tuple[type[EventData], ...] = (
    ChannelUpdated,
    FloorLanguage,
    HandoverRequested,
    HandoverCompleted,
    HandoverExpired,
    HandoverCancelled,
    ChannelUncovered,
    ListeningChanged,
    ListenersChanged,
    TurnDue,
)
