"""Ids, timestamps and column shapes shared by every table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from ..db import UTCDateTime


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _id() -> Any:
    return Field(default_factory=new_id, primary_key=True, max_length=36)


def _event_fk() -> Any:
    """The owning event; its rows go when it does."""
    return Field(foreign_key="events.id", index=True, max_length=36, ondelete="CASCADE")


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def _json(default: Any) -> Any:
    return Field(
        default_factory=lambda: type(default)(default), sa_column=Column(JSON, nullable=False)
    )
