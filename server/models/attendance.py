"""Attendance tallies per person and peak counts per session."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from .columns import _json, _ts


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
