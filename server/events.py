"""Typed schemas of the session, presence, people and webhook events, and the base
every event schema shares. ``event_registry`` gathers all of them by ``type``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, create_model

import breakouts.events as bo_events


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
    """Coalesced presence for rooms of more than ``large_room`` (100) people: at most
    ``large_room`` ids in each list, the counts say how many there were."""

    type: ClassVar[str] = "presence.changed"
    room_id: str
    joined: list[str]
    left: list[str]
    online: int
    joined_count: int = 0
    left_count: int = 0


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


def derived(
    domain: type,
    nested: Mapping[type, Any] = {},
    wider: Mapping[str, Any] = {},
    **added: tuple[Any, Any],
) -> type[EventData]:
    """The wire schema of a domain event type, derived from its dataclass so that the
    fields are written once: one field per dataclass field under its wire name (the
    ``public()`` types of ``nested`` become their wire models), ``wider`` types where
    the server sends more than the domain makes, and ``added`` fields (type, default)
    that only the server fills in."""
    hints = typing.get_type_hints(domain)
    spec: dict[str, Any] = {}
    for field in dataclasses.fields(domain):
        if field.name == "audience":
            continue
        name = domain.wire_names.get(field.name, field.name)
        if field.name in domain.omitted_when_none:
            default: Any = None
        elif field.default is not dataclasses.MISSING:
            default = field.default
        else:
            default = ...
        spec[name] = (wider.get(name) or _wire_type(hints[field.name], nested), default)
    doc = domain.__doc__  # dataclasses without one get their signature: not a description
    if doc and doc.startswith(f"{domain.__name__}("):
        doc = None
    model = create_model(domain.__name__, __base__=EventData, __doc__=doc, **spec, **added)
    model.type = domain.type
    return model


def _wire_type(hint: Any, nested: Mapping[type, Any]) -> Any:
    """tuples are lists on the wire, mappings dicts, nested values their models."""
    if hint in nested:
        return nested[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return list[_wire_type(args[0], nested)]
    if origin in (Mapping, dict):
        return dict[_wire_type(args[0], nested), _wire_type(args[1], nested)]
    if origin in (Union, types.UnionType):
        return Union[tuple(_wire_type(arg, nested) for arg in args)]  # noqa: UP007
    return hint


# ``round_id`` marks a move of a round opening or closing: the round's event carries
# the rooms' counts and members, so clients do not count these moves. ``channels``:
# into a breakout room, that room's channels (a participant holds the plenary's and
# their own room's; the room's channel.updated go to its members only). A first
# arrival or a departure has no room on one side.
RoomMoved = derived(
    bo_events.RoomMoved,
    wider={"from_room": str | None, "to_room": str | None},
    round_id=(str | None, None),
    channels=(list[ChannelObject] | None, None),
)


class BroadcastMessage(EventData):
    """Stored once with all translations; each client gets the text of its language."""

    type: ClassVar[str] = "broadcast.message"
    text: str
    translations: dict[str, str] = {}
    language: str | None = None


class PersonRemoved(EventData):
    type: ClassVar[str] = "person.removed"
    person_id: str


class EventUpdated(EventData):
    """The event's settings changed (e.g. a language added or dropped late)."""

    type: ClassVar[str] = "event.updated"
    changes: dict[str, Any]


class PersonTokenReissued(EventData):
    """Tells the person's open connections that their token ended (they close 4401)."""

    type: ClassVar[str] = "person.token_reissued"
    person_id: str


class PersonUpdated(EventData):
    """A person's interpretation directions changed: the session's channels
    take the directions (a live interpreter who lost theirs goes off air) and the
    person's open connections their booths, without a reconnect."""

    type: ClassVar[str] = "person.updated"
    person_id: str
    role: str
    interprets: list[str]


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


SCHEMAS: tuple[type[EventData], ...] = (
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
    EventUpdated,
    PersonTokenReissued,
    PersonUpdated,
    WebhookFailing,
    WebhookPing,
)
