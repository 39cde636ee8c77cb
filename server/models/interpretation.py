"""Interpretation state of a session (floors, booths, listeners)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime
from .columns import _json


class InterpretationState(SQLModel, table=True):
    """A session's interpretation state (``interpretation.serialization``), one row,
    read and written under the session lock. Its listener samples are kept apart
    (``ListenerSampleRow``): the row stays the size of the session's channels."""

    __tablename__ = "interpretation_states"

    session_id: str = Field(
        foreign_key="sessions.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    state: dict = _json({})
    listeners_sent: dict = _json({})
    view: dict = _json({})  # channels_view of ``state``, for snapshots without a parse
    samples_n: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ListenerSampleRow(SQLModel, table=True):
    """How many people heard a channel, its last count in one second of the session
    (the report's listeners over time). ``n`` orders them as they were taken: a
    channel counted again in the same second moves to the end, as in the domain's
    ``add_samples``."""

    __tablename__ = "listener_samples"
    __table_args__ = (Index("ix_listener_samples_session_n", "session_id", "n"),)

    session_id: str = Field(
        foreign_key="sessions.id", primary_key=True, max_length=36, ondelete="CASCADE"
    )
    room_id: str = Field(primary_key=True, max_length=36)
    language: str = Field(primary_key=True, max_length=8)
    second: dt.datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    listeners: int
    n: int
