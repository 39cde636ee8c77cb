"""Typed schemas of the speaker-queue and chat events (the queue's are emitted by
``interpretation.speakers`` as dataclasses and validated here before they are
stored)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from .events import EventData


class HandRaised(EventData):
    type: ClassVar[str] = "hand.raised"
    room_id: str
    hand_id: str
    person_id: str
    name: str
    language: str
    raised_at: dt.datetime
    position: int


class HandChanged(EventData):
    """A second raise: the same hand and place, another language."""

    type: ClassVar[str] = "hand.changed"
    room_id: str
    hand_id: str
    person_id: str
    language: str


class HandLowered(EventData):
    type: ClassVar[str] = "hand.lowered"
    room_id: str
    hand_id: str
    person_id: str
    reason: Literal["lowered", "dismissed", "called", "moved", "left"]


class HandsReordered(EventData):
    type: ClassVar[str] = "hands.reordered"
    room_id: str
    hand_ids: list[str]


class SpeakerCalled(EventData):
    type: ClassVar[str] = "speaker.called"
    room_id: str
    person_id: str
    language: str
    hand_id: str


class FloorUpcoming(EventData):
    """``language`` null: the head of the queue no longer changes the floor."""

    type: ClassVar[str] = "floor.upcoming"
    room_id: str
    language: str | None
    person_id: str | None
    hand_id: str | None


class ChatMessage(EventData):
    """``text`` is blanked in place (and ``deleted`` set) when the message is deleted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    type: ClassVar[str] = "chat.message"
    id: str
    from_: str = Field(alias="from")
    from_name: str
    from_role: str
    to: str
    room_id: str | None
    text: str
    language: str | None = None
    deleted: bool = False


class ChatDeleted(EventData):
    type: ClassVar[str] = "chat.deleted"
    id: str


SCHEMAS: tuple[type[EventData], ...] = (
    HandRaised,
    HandChanged,
    HandLowered,
    HandsReordered,
    SpeakerCalled,
    FloorUpcoming,
    ChatMessage,
    ChatDeleted,
)
