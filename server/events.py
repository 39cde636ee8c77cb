"""The registry of event types: one typed model per ``type``, made where the event
is made and validated there. Domain packages emit dataclass events with the same
``type`` strings; ``coerce`` validates them against this registry."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: ClassVar[str]


class SessionStatus(EventData):
    type: ClassVar[str] = "session.status"
    status: str
    previous: str
    late_s: float | None = None


class SessionRescheduled(EventData):
    type: ClassVar[str] = "session.rescheduled"
    start: dt.datetime
    end: dt.datetime
    timezone: str
    previous_start: dt.datetime
    previous_end: dt.datetime


class SessionOvertime(EventData):
    type: ClassVar[str] = "session.overtime"
    end: dt.datetime
    status: str


class SessionReminder(EventData):
    type: ClassVar[str] = "session.reminder"
    start: dt.datetime
    before_s: int
    people: list[dict[str, Any]]
    late_s: float | None = None


class PresenceJoined(EventData):
    type: ClassVar[str] = "presence.joined"
    person_id: str
    room_id: str | None


class PresenceLeft(EventData):
    type: ClassVar[str] = "presence.left"
    person_id: str
    room_id: str | None


class PresenceChanged(EventData):
    """Coalesced presence for rooms of more than 100 people."""

    type: ClassVar[str] = "presence.changed"
    room_id: str
    joined: list[str]
    left: list[str]
    online: int


class RoomMoved(EventData):
    """``round_id`` marks a move of a round opening or closing: the round's event
    carries the rooms' counts and members, so clients do not count these moves."""

    type: ClassVar[str] = "room.moved"
    person_id: str
    from_room: str | None
    to_room: str | None
    round_id: str | None = None


class BroadcastMessage(EventData):
    """Stored once with all translations; each client gets the text of its language."""

    type: ClassVar[str] = "broadcast.message"
    text: str
    translations: dict[str, str] = {}
    language: str | None = None


class PersonRemoved(EventData):
    type: ClassVar[str] = "person.removed"
    person_id: str


REGISTRY: dict[str, type[EventData]] = {}


def register(*models: type[EventData]) -> None:
    for m in models:
        REGISTRY[m.type] = m


register(
    SessionStatus,
    SessionRescheduled,
    SessionOvertime,
    SessionReminder,
    PresenceJoined,
    PresenceLeft,
    PresenceChanged,
    RoomMoved,
    BroadcastMessage,
    PersonRemoved,
)


def coerce(type_: str, data: dict[str, Any]) -> EventData:
    """Validate a domain event's payload against its registered schema."""
    model = REGISTRY.get(type_)
    if model is None:
        raise KeyError(f"event type {type_!r} is not registered")
    return model.model_validate(data)


class EventUpdated(EventData):
    """The event's settings changed (e.g. a language added or dropped late)."""

    type: ClassVar[str] = "event.updated"
    changes: dict[str, Any]


class PersonTokenReissued(EventData):
    """Tells the person's open connections that their token ended (they close 4401)."""

    type: ClassVar[str] = "person.token_reissued"
    person_id: str


class WebhookFailing(EventData):
    """A webhook's delivery failed every retry: moderators are told."""

    type: ClassVar[str] = "webhook.failing"
    webhook_id: str
    url: str
    delivery_id: str
    event_type: str
    attempts: int
    last_error: str | None


class WebhookPing(EventData):
    """Sent only to a webhook, on request, to test it."""

    type: ClassVar[str] = "webhook.ping"
    webhook_id: str


register(EventUpdated, PersonTokenReissued, WebhookFailing, WebhookPing)


# Feature schemas register themselves on import; importing them here makes the
# registry complete wherever ``server.events`` is used.
from . import events_breakouts, events_interpretation  # noqa: E402, F401
