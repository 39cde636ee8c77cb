"""Raised hands, speaker queues and chat messages."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from ..db import UTCDateTime
from .columns import _id, _json, _ts


class Hand(SQLModel, table=True):
    """A raised hand of a room's speaker queue; kept once lowered (``reason``), so
    attendance counts hands whatever the log retention."""

    __tablename__ = "hands"
    __table_args__ = (Index("ix_hands_session_room_up", "session_id", "room_id", "lowered_at"),)

    id: str = _id()
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

    id: str = _id()
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
