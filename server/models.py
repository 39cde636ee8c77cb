"""Database tables (SQLModel ``table=True``). They do not validate input: the
``schemas`` module does, before anything reaches here."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from .db import UTCDateTime


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(
        default_factory=lambda: type(default)(default), sa_column=Column(JSON, nullable=False)
    )


class Event(SQLModel, table=True):
    __tablename__ = "events"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    title: str = Field(max_length=300)
    timezone: str = Field(max_length=64)
    floor_language: str = Field(max_length=8)
    interpretation_languages: list[str] = _json([])
    handover_timeout_s: int = 30
    dropout_grace_s: int = 10
    turn_s: int = 1800
    working_hours: list[str] = _json(["08:00", "21:00"])
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Person(SQLModel, table=True):
    __tablename__ = "people"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", index=True, max_length=36, ondelete="CASCADE")
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    email: str | None = Field(default=None, max_length=320)
    timezone: str = Field(default="UTC", max_length=64)
    language: str | None = Field(default=None, max_length=8)
    interprets: list[str] = _json([])
    groups: list[str] = _json([])
    organisation: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=100)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    calendar_token_hash: str | None = Field(
        default=None, sa_column=Column(String(64), nullable=True, unique=True)
    )
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Session(SQLModel, table=True):
    """A scheduled session. ``seq`` is the event-log counter, bumped under the row lock."""

    __tablename__ = "sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", index=True, max_length=36, ondelete="CASCADE")
    title: str = Field(max_length=300)
    kind: str = Field(default="plenary", max_length=32)
    start: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    end: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    timezone: str = Field(max_length=64)
    status: str = Field(default="scheduled", max_length=16)
    lobby_lead_s: int = 900
    auto_live: bool = False
    auto_end: bool = False
    reminders_s: list[int] = _json([86400, 900])
    seq: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    log_floor: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    ics_sequence: int = 0
    plenary_room_id: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Room(SQLModel, table=True):
    __tablename__ = "rooms"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(
        foreign_key="sessions.id", index=True, max_length=36, ondelete="CASCADE"
    )
    round_id: str | None = Field(default=None, index=True, max_length=36)
    name: str = Field(max_length=200)
    kind: str = Field(default="plenary", max_length=16)
    languages: list[str] = _json([])
    capacity: int | None = None
    floor_language: str | None = Field(default=None, max_length=8)
    position: int = 0


class Placement(SQLModel, table=True):
    """Where a person belongs in a session (kept while they are offline)."""

    __tablename__ = "placements"

    session_id: str = Field(
        foreign_key="sessions.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    person_id: str = Field(
        foreign_key="people.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    room_id: str | None = Field(default=None, max_length=36)
    listening: str | None = Field(default=None, max_length=8)
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class PresenceLease(SQLModel, table=True):
    """One row per live WebSocket connection; online = any unexpired lease.

    Each process renews its own leases; a killed process's leases expire and any
    process's sweeper turns them into ``presence.left``."""

    __tablename__ = "presence_leases"
    __table_args__ = (Index("ix_presence_session_person", "session_id", "person_id"),)

    id: str = Field(primary_key=True, max_length=36)
    session_id: str = Field(
        foreign_key="sessions.id", index=True, max_length=36, ondelete="CASCADE"
    )
    person_id: str = Field(foreign_key="people.id", max_length=36, ondelete="CASCADE")
    instance_id: str = Field(max_length=32, index=True)
    expires_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class PresenceNews(SQLModel, table=True):
    """An arrival or departure in a room of more than ``large_room`` people, waiting for
    the room's next coalesced ``presence.changed`` (at most one a second per room); the
    latest change per person wins."""

    __tablename__ = "presence_news"

    session_id: str = Field(
        foreign_key="sessions.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    room_id: str = Field(primary_key=True, max_length=36)
    person_id: str = Field(primary_key=True, max_length=36)
    change: str = Field(max_length=8)


class EventRecord(SQLModel, table=True):
    """The event log: the source of truth for live delivery and replay."""

    __tablename__ = "event_log"
    __table_args__ = (
        UniqueConstraint("session_id", "seq", name="uq_event_log_session_seq"),
        Index("ix_event_log_session_type", "session_id", "type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(
        foreign_key="sessions.id", max_length=36, ondelete="CASCADE", index=True
    )
    seq: int
    type: str = Field(max_length=64)
    audience: list[str] = _json([])
    by: str | None = Field(default=None, max_length=36)
    data: dict = _json({})
    at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Timer(SQLModel, table=True):
    """A durable timer: the truth the alarm clock is rebuilt from.

    ``(kind, target)`` is unique: setting a timer again moves it. A timer fires at
    most once: its action and ``done_at`` are written in one fenced transaction."""

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("kind", "target", name="uq_timers_kind_target"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=64)
    target: str = Field(max_length=120)
    session_id: str | None = Field(
        default=None, foreign_key="sessions.id", max_length=36, ondelete="CASCADE", index=True
    )
    due_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    done_at: dt.datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    fired_term: int | None = None
    late_s: float | None = None
    payload: dict = _json({})


class LeaderTerm(SQLModel, table=True):
    """The fencing term of the scheduler leader: every timer's transaction checks it."""

    __tablename__ = "leader_terms"

    name: str = Field(primary_key=True, max_length=32)
    term: int = 0
    holder: str | None = Field(default=None, max_length=64)
    since: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class BreakoutRound(SQLModel, table=True):
    """A breakout round; its rooms are ``rooms`` rows with this ``round_id``."""

    __tablename__ = "breakout_rounds"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(
        foreign_key="sessions.id", index=True, max_length=36, ondelete="CASCADE"
    )
    status: str = Field(default="planned", max_length=16)
    strategy: str = Field(max_length=32)
    plan: dict = _json({})
    unplaced: list = _json([])
    duration_s: int | None = None
    countdown_s: int = 60
    allow_return: bool = True
    floor_language: str | None = Field(default=None, max_length=8)
    number: int = 0
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    opened_at: dt.datetime | None = _ts(nullable=True)
    ends_at: dt.datetime | None = _ts(nullable=True)
    closes_at: dt.datetime | None = _ts(nullable=True)
    closed_at: dt.datetime | None = _ts(nullable=True)


class HelpRequest(SQLModel, table=True):
    """A participant asked for help; open until a moderator arrives, dismisses it, or
    the asker cancels it."""

    __tablename__ = "help_requests"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(
        foreign_key="sessions.id", index=True, max_length=36, ondelete="CASCADE"
    )
    person_id: str = Field(foreign_key="people.id", max_length=36, ondelete="CASCADE")
    room_id: str | None = Field(default=None, max_length=36)
    text: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    claimed_by: str | None = Field(default=None, max_length=36)
    resolved_at: dt.datetime | None = _ts(nullable=True)
    resolution: str | None = Field(default=None, max_length=32)


class InterpretationState(SQLModel, table=True):
    """A session's interpretation state (``interpretation.serialization``), one row,
    read and written under the session lock."""

    __tablename__ = "interpretation_states"

    session_id: str = Field(
        foreign_key="sessions.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    state: dict = _json({})
    listeners_sent: dict = _json({})
    view: dict = _json({})  # channels_view of ``state``, for snapshots without a parse


class Webhook(SQLModel, table=True):
    __tablename__ = "webhooks"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    event_id: str = Field(foreign_key="events.id", index=True, max_length=36, ondelete="CASCADE")
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200)
    # after a rotation with keep_previous_s: the old secret also signs until then
    previous_secret: str | None = Field(default=None, max_length=200)
    previous_secret_until: dt.datetime | None = _ts(nullable=True)
    events: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    active: bool = True
    failing: bool = False
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one row per (webhook, event), written in the event's own
    transaction; ``body`` is built once, so every retry sends the same signed bytes."""

    __tablename__ = "webhook_deliveries"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
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
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
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


class Hand(SQLModel, table=True):
    """A raised hand of a room's speaker queue; kept once lowered (``reason``), so
    attendance counts hands whatever the log retention."""

    __tablename__ = "hands"
    __table_args__ = (Index("ix_hands_session_room_up", "session_id", "room_id", "lowered_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(foreign_key="sessions.id", max_length=36, ondelete="CASCADE")
    room_id: str = Field(max_length=36)
    person_id: str = Field(foreign_key="people.id", max_length=36, ondelete="CASCADE")
    name: str = Field(max_length=200)
    language: str = Field(max_length=8)
    position: int = 0
    raised_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lowered_at: dt.datetime | None = _ts(nullable=True)
    reason: str | None = Field(default=None, max_length=16)


class SpeakerQueue(SQLModel, table=True):
    """The last ``floor.upcoming`` of a room (its hand and language, language null
    for "no longer"): the rule announces only when the head differs from it."""

    __tablename__ = "speaker_queues"

    room_id: str = Field(primary_key=True, max_length=36)
    session_id: str = Field(
        foreign_key="sessions.id", index=True, max_length=36, ondelete="CASCADE"
    )
    hand_id: str | None = Field(default=None, max_length=36)
    language: str | None = Field(default=None, max_length=8)


class ChatMessageRow(SQLModel, table=True):
    """A chat message: kept for the session's life whatever the log retention (history
    reads it); deleting blanks ``text`` here and in the event that carried it."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        Index("ix_chat_session_seq", "session_id", "seq"),
        Index("ix_chat_person_created", "person_id", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(foreign_key="sessions.id", max_length=36, ondelete="CASCADE")
    seq: int
    person_id: str = Field(foreign_key="people.id", max_length=36, ondelete="CASCADE")
    to: str = Field(max_length=36)
    room_id: str | None = Field(default=None, max_length=36)
    language: str | None = Field(default=None, max_length=8)
    audience: list[str] = _json([])
    text: str
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    deleted_at: dt.datetime | None = _ts(nullable=True)


class AttendanceTally(SQLModel, table=True):
    """A person's attendance in a session, accumulated from the session's events in
    their own transaction (so log retention does not change it and every process
    answers the same). ``counting_since`` is set while the person is online and the
    session is lobby or live: the seconds since then are not yet added."""

    __tablename__ = "attendance_tallies"

    session_id: str = Field(
        foreign_key="sessions.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    person_id: str = Field(
        foreign_key="people.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    online: bool = False
    room_id: str | None = Field(default=None, max_length=36)
    language: str | None = Field(default=None, max_length=8)  # the channel heard now
    counting_since: dt.datetime | None = _ts(nullable=True)
    first_seen: dt.datetime | None = _ts(nullable=True)
    last_seen: dt.datetime | None = _ts(nullable=True)
    online_s: float = 0.0
    rooms: dict = _json({})  # room id -> seconds
    listened: dict = _json({})  # language -> seconds
    hands: int = 0
    help: int = 0
    messages: int = 0


class AttendancePeak(SQLModel, table=True):
    """How many people a session counts online now, and the most it ever did."""

    __tablename__ = "attendance_peaks"

    session_id: str = Field(
        foreign_key="sessions.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    online: int = 0
    peak_online: int = 0
