"""Who is where: placements in rooms, presence leases and the news about them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime
from .columns import utcnow


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
    """One row per live WebSocket connection; online = any lease.

    A lease lives as long as its process's ``ProcessHeartbeat``: a killed process's
    heartbeat lapses and any process's sweeper turns its leases into
    ``presence.left``."""

    __tablename__ = "presence_leases"
    __table_args__ = (Index("ix_presence_session_person", "session_id", "person_id"),)

    id: str = Field(primary_key=True, max_length=36)
    session_id: str = Field(
        foreign_key="sessions.id", index=True, max_length=36, ondelete="CASCADE"
    )
    person_id: str = Field(foreign_key="people.id", max_length=36, ondelete="CASCADE")
    instance_id: str = Field(max_length=32, index=True)


class ProcessHeartbeat(SQLModel, table=True):
    """One row per serving process, renewed every few seconds: its connections' leases
    hold while it is unexpired. One row written per renewal, however many connections
    (a row per lease was up to 160 ms of SQLite's writer at 10,000, issue 19)."""

    __tablename__ = "process_heartbeats"

    instance_id: str = Field(primary_key=True, max_length=32)
    expires_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


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
