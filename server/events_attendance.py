"""Typed schema of the attendance event."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from .events import EventData


class AttendanceReady(EventData):
    """A session ended: its attendance summary, for moderators and webhooks."""

    type: ClassVar[str] = "attendance.ready"
    session_id: str
    title: str
    start: dt.datetime
    people: int
    peak_online: int
    by_country: dict[str, int]
    by_organisation: dict[str, int]
    by_language: dict[str, int]


SCHEMAS: tuple[type[EventData], ...] = (AttendanceReady,)
