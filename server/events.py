"""The registry of event types: one typed model per ``type``, made where the event
is made and validated there. Domain packages emit dataclass events with the same
``type`` strings; ``coerce`` validates them against this registry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: ClassVar[str]


# The statuses of the session status machine (``scheduler.status.TRANSITIONS``; a
# test keeps the two equal).
Status = Literal["scheduled", "lobby", "live", "ended", "cancelled"]


def _iso_with_offset(value: str) -> str:
    """Kept as the text it was made as (the zone's own offset, e.g. ``+04:00``)."""
    if dt.datetime.fromisoformat(value).utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return value


LocalInstant = Annotated[str, AfterValidator(_iso_with_offset)]


class SessionStatus(EventData):
    type: ClassVar[str] = "session.status"
    status: Status
    previous: Status
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
    status: Status


class ReminderPerson(BaseModel):
    """One person of a ``session.reminder``: the start in their own zone."""

    model_config = ConfigDict(extra="forbid")
    person_id: str
    timezone: str
    local_start: LocalInstant
    abbr: str


class SessionReminder(EventData):
    type: ClassVar[str] = "session.reminder"
    start: dt.datetime
    before_s: int
    people: list[ReminderPerson]
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


class SourceObject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["floor", "interpreter", "relay"]
    language: str


class BoothSeat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: str
    live: bool


class ChannelObject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: str
    on_air: str | None
    source: SourceObject | None
    listeners: int
    booth: list[BoothSeat]


class RoomMoved(EventData):
    """``round_id`` marks a move of a round opening or closing: the round's event
    carries the rooms' counts and members, so clients do not count these moves."""

    type: ClassVar[str] = "room.moved"
    person_id: str
    from_room: str | None
    to_room: str | None
    round_id: str | None = None
    # into a breakout room: that room's channels (a participant holds the plenary's
    # and their own room's; the room's channel.updated go to its members only)
    channels: list[ChannelObject] | None = None


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
from . import events_attendance, events_breakouts, events_interpretation  # noqa: E402, F401
