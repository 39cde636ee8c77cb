"""The event, its people, its sessions and their rooms."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Integer, String
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime
from .columns import _created, _event_fk, _id, _json


class Event(SQLModel, table=True):
    __tablename__ = "events"

    id: str = _id()
    title: str = Field(max_length=300)
    timezone: str = Field(max_length=64)
    floor_language: str = Field(max_length=8)
    interpretation_languages: list[str] = _json([])
    handover_timeout_s: int = 30
    dropout_grace_s: int = 10
    turn_s: int = 1800
    working_hours: list[str] = _json(["08:00", "21:00"])
    created_at: dt.datetime = _created()


class Person(SQLModel, table=True):
    __tablename__ = "people"

    id: str = _id()
    event_id: str = _event_fk()
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
    created_at: dt.datetime = _created()


class Session(SQLModel, table=True):
    """A scheduled session. ``seq`` is the event-log counter, bumped under the row lock."""

    __tablename__ = "sessions"

    id: str = _id()
    event_id: str = _event_fk()
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
    # moves when a webhook of the event is added or removed (``webhooks.hooks_changed``):
    # read with the locked row, it tells a command whether its process's copy of the
    # event's webhooks still holds
    webhooks_stamp: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    # the seq of the first room.moved / listening.changed that attendance has not
    # counted yet (``attendance.follow`` defers moves; a timer, the next arrival or
    # status change, and every report catch up); None: attendance is up to date
    attendance_from: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    ics_sequence: int = 0
    plenary_room_id: str | None = Field(default=None, max_length=36)
    created_at: dt.datetime = _created()


class Room(SQLModel, table=True):
    __tablename__ = "rooms"

    id: str = _id()
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
