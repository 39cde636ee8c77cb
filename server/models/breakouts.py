"""Breakout rounds and help requests raised from breakout rooms."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from .columns import _created, _id, _json, _ts


class BreakoutRound(SQLModel, table=True):
    """A breakout round; its rooms are ``rooms`` rows with this ``round_id``."""

    __tablename__ = "breakout_rounds"

    id: str = _id()
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
    created_at: dt.datetime = _created()
    opened_at: dt.datetime | None = _ts(nullable=True)
    ends_at: dt.datetime | None = _ts(nullable=True)
    closes_at: dt.datetime | None = _ts(nullable=True)
    closed_at: dt.datetime | None = _ts(nullable=True)


class HelpRequest(SQLModel, table=True):
    """A participant asked for help; open until a moderator arrives, dismisses it, or
    the asker cancels it."""

    __tablename__ = "help_requests"

    id: str = _id()
    session_id: str = Field(
        foreign_key="sessions.id", index=True, max_length=36, ondelete="CASCADE"
    )
    person_id: str = Field(foreign_key="people.id", max_length=36, ondelete="CASCADE")
    room_id: str | None = Field(default=None, max_length=36)
    text: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = _created()
    claimed_by: str | None = Field(default=None, max_length=36)
    resolved_at: dt.datetime | None = _ts(nullable=True)
    resolution: str | None = Field(default=None, max_length=32)
