"""Answers of the time routes: schedules in local zones, slot search, calendar feed
(see ``responses`` for why these are declared but not re-validated)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from .events import Status


class LocalSpan(BaseModel):
    """A session's times in one zone, with that zone's offset."""

    tz: str
    start: dt.datetime
    end: dt.datetime
    start_abbr: str | None
    end_abbr: str | None
    day_shift: int = Field(description="local start date minus the event zone's, in days")


class ScheduleEntry(BaseModel):
    id: str
    title: str
    start: dt.datetime
    end: dt.datetime
    local: LocalSpan
    status: Status


class ZoneStart(BaseModel):
    tz: str
    local_start: dt.datetime
    abbr: str | None
    utc_offset: str = Field(examples=["+02:00"])
    people: int
    outside_hours: bool


class LocalTimes(BaseModel):
    session_id: str
    start: dt.datetime
    end: dt.datetime
    timezone: str
    working_hours: list[str]
    zones: list[ZoneStart] = Field(description="by UTC offset")


class SlotZone(BaseModel):
    tz: str
    local_start: dt.datetime
    local_end: dt.datetime
    abbr: str | None
    utc_offset: str
    people: int
    inside: bool


class SlotOutside(BaseModel):
    person_id: str
    tz: str
    local_start: dt.datetime
    local_end: dt.datetime


class Slot(BaseModel):
    start: dt.datetime
    end: dt.datetime
    inside: int
    total: int
    outside: list[SlotOutside]
    zones: list[SlotZone]


class Slots(BaseModel):
    duration: str
    from_: dt.datetime = Field(alias="from")
    to: dt.datetime
    step: str
    working_hours: list[str]
    participants: int
    slots: list[Slot] = Field(description="best first")


class CalendarFeed(BaseModel):
    person_id: str
    token: str
    url: str
