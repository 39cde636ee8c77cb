"""Interpretation state of a session (floors, booths, listeners)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from .columns import _json


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
