"""The session event log, durable timers and the leader term that runs them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime
from .columns import _id, _json


class EventRecord(SQLModel, table=True):
    """The event log: the source of truth for live delivery and replay."""

    __tablename__ = "event_log"
    __table_args__ = (
        # the unique (session, seq) index serves every read by session (a seq range,
        # a replay, pruning, the cascade); two more indexes on ``session_id`` and
        # ``(session_id, type)`` cost every insert and served nothing (migration 0023)
        UniqueConstraint("session_id", "seq", name="uq_event_log_session_seq"),
        Index("ix_event_log_session_person", "session_id", "person_id", "seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="sessions.id", max_length=36, ondelete="CASCADE")
    seq: int
    type: str = Field(max_length=64)
    audience: list[str] = _json([])
    by: str | None = Field(default=None, max_length=36)
    data: dict = _json({})
    at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # the person a ``room.moved``/``listening.changed`` moves (else NULL): a resume
    # from an old seq reads that person's moves alone, not everyone's
    person_id: str | None = Field(default=None, max_length=36)


class Timer(SQLModel, table=True):
    """A durable timer: the truth the alarm clock is rebuilt from.

    ``(kind, target)`` is unique: setting a timer again moves it. A timer fires at
    most once: its action and ``done_at`` are written in one fenced transaction."""

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("kind", "target", name="uq_timers_kind_target"),)

    id: str = _id()
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
