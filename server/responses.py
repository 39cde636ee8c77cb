"""Models of the answers that routes build as plain dicts.

They describe those answers in the OpenAPI document (``responses={code: {"model":
...}}``) without re-validating them on every call, so declaring them changes no
answer and costs the hot paths nothing; tests/integration/test_openapi_client.py
checks real answers against them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from .auth import Role
from .events import ChannelObject
from .events_attendance import AttendanceReady
from .events_interpretation import HandoverRequested
from .schemas import EventPublic, PersonPublic, SessionPublic

RoundStatusName = Literal["planned", "open", "closing", "closed", "cancelled"]
StrategyName = Literal["balanced", "by_language", "working_groups", "manual", "self_select"]
RoomKind = Literal["plenary", "breakout"]


# ---- who am I ---------------------------------------------------------------------------


class Me(BaseModel):
    """Who a token belongs to: the admin (no person, no event) or one person of one
    event, with that event's sessions."""

    person: PersonPublic | None
    role: Literal["admin", "moderator", "interpreter", "participant", "observer"]
    event: EventPublic | None
    sessions: list[SessionPublic]


class ImportedPerson(BaseModel):
    id: str | None = Field(description="null for a new row in a dry run")
    name: str
    email: str | None
    role: Role
    token: str | None = Field(None, description="only for people created by this import")
    join_url: str | None = Field(None, description="only for people created by this import")


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    people: list[ImportedPerson]


class JoinLink(BaseModel):
    person_id: str
    name: str
    email: str | None
    role: Role
    token: str
    join_url: str


# ---- attendance ------------------------------------------------------------------------


class RoomSeconds(BaseModel):
    room_id: str
    name: str | None
    s: float


class PersonAttendance(BaseModel):
    person_id: str
    name: str
    role: Role
    email: str | None
    organisation: str | None
    country: str | None
    timezone: str
    first_seen: dt.datetime
    last_seen: dt.datetime = Field(description="for someone online now: the request's time")
    online_s: float
    rooms: list[RoomSeconds] = Field(description="add up to online_s")
    listened: dict[str, float] = Field(description="language -> seconds; add up to online_s")
    hands: int
    help: int
    messages: int


class SessionAttendance(AttendanceReady):
    """A session's summary: the payload of its ``attendance.ready`` event."""


class EventAttendance(BaseModel):
    sessions: list[SessionAttendance]
    unique_people: int
    countries: int
    organisations: int
    by_country: dict[str, int]
    by_organisation: dict[str, int]
    by_language: dict[str, int]


# ---- sessions --------------------------------------------------------------------------


class BroadcastSent(BaseModel):
    seq: int = Field(description="the seq of the stored broadcast event")
    text: str
    translations: dict[str, str]


# ---- breakouts -------------------------------------------------------------------------


class Unplaced(BaseModel):
    person_id: str
    reason: str


class _RoundBase(BaseModel):
    id: str
    status: RoundStatusName
    strategy: StrategyName
    duration_s: int | None
    countdown_s: int
    allow_return: bool
    opened_at: dt.datetime | None
    ends_at: dt.datetime | None
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None


class RoundRoomPlanned(BaseModel):
    """A room of a round; ``members``: person ids (planned, or there now if open)."""

    id: str
    name: str
    kind: Literal["breakout"]
    languages: list[str]
    capacity: int | None
    members: list[str]


class RoundView(_RoundBase):
    """A round as moderators and observers see it."""

    rooms: list[RoundRoomPlanned]
    unplaced: list[Unplaced]


class RoundRoom(BaseModel):
    id: str
    name: str
    kind: Literal["breakout"]
    languages: list[str]
    capacity: int | None


class RoundParticipantView(_RoundBase):
    """A round as a participant or interpreter sees it: rooms without members."""

    rooms: list[RoundRoom]
    your_room: str | None


class Uncovered(BaseModel):
    room_id: str
    name: str | None
    language: str


class RoundCreated(RoundView):
    """The new round, with the language rooms no interpreter can cover (the round may
    still be opened)."""

    uncovered: list[Uncovered]


class MoveDone(BaseModel):
    person_id: str
    room_id: str | None = Field(description="where the person belongs now")


class HelpRequestView(BaseModel):
    id: str
    person_id: str
    room_id: str | None
    text: str | None
    created_at: dt.datetime
    claimed_by: str | None
    status: Literal["open", "claimed", "resolved"]
    resolution: str | None


# ---- interpretation --------------------------------------------------------------------


class FloorChanged(BaseModel):
    room_id: str
    floor_language: str
    uncovered: list[str] = Field(description="languages of the room's channels with no source")
    channels: list[ChannelObject]


class ListeningChanged(BaseModel):
    person_id: str
    language: str
    fallback_reason: str | None


class MediaJoin(BaseModel):
    """One AudioBridge join: ``room`` and ``id`` go in the join (or changeroom) request
    as ``room`` and ``id``, ``token`` as ``token``."""

    room: str = Field(description="AudioBridge room id (string ids)")
    token: str = Field(description="the AudioBridge allowed-list token for this person")
    id: str = Field(description="the AudioBridge participant id to join with")


class MediaTicket(BaseModel):
    """What a client needs to hear and speak where Convene places it."""

    janus_url: str
    room_id: str = Field(description="the Convene room the caller is in")
    language: str = Field(description="the channel the caller hears")
    listen: MediaJoin = Field(description="join this room to hear (muted)")
    speak: list[MediaJoin] = Field(
        description="rooms the caller's microphone goes to; one may be the listen room "
        "(then one join serves both). The bridge unmutes and mutes them"
    )
    generation: int


class RoomChannels(BaseModel):
    room_id: str
    name: str | None
    kind: RoomKind
    floor_language: str
    channels: list[ChannelObject]


class ChannelsView(BaseModel):
    rooms: list[RoomChannels] = Field(description="the plenary first")


class SpeakerResult(BaseModel):
    """The channel after going on or off air, or taking over."""

    room_id: str
    channel: ChannelObject


class InterpreterMinutes(BaseModel):
    person_id: str
    minutes: dict[str, float] = Field(description="on-air minutes per language")
    total_minutes: float


class OnAirSegment(BaseModel):
    person_id: str
    room_id: str
    language: str
    start: dt.datetime
    end: dt.datetime
    minutes: float


class ListenerSample(BaseModel):
    at: dt.datetime
    listeners: int


class ListenerSeries(BaseModel):
    room_id: str
    language: str
    samples: list[ListenerSample]


class InterpretationReport(BaseModel):
    interpreters: list[InterpreterMinutes]
    on_air: list[OnAirSegment]
    listeners: list[ListenerSeries]


HandoverAsked = HandoverRequested


# ---- operations ------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok", "degraded", "unavailable"]
    instance: str
    tzdata: str
    database: str = Field(description="'ok' or 'unreachable: <error>'")
    broker: Literal["ok", "degraded"] | None = Field(None, description="absent when unavailable")


class About(BaseModel):
    name: str
    version: str
    tzdata: str


def model(status: int, m: Any, description: str | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose answer is a plain dict described by ``m``."""
    entry: dict[str, Any] = {"model": m}
    if description:
        entry["description"] = description
    return {status: entry}
