"""Reading an exported calendar back: its events, and their instants resolved through
the file's own VTIMEZONE rather than a looked-up zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

UTC = dt.UTC


def calendar_events(ics: bytes) -> tuple[Calendar, list]:
    cal = Calendar.from_ical(ics)
    return cal, [c for c in cal.walk("VEVENT")]


def utc_instant(cal: Calendar, prop) -> dt.datetime:
    """The UTC instant of a DTSTART/DTEND read through the file's own VTIMEZONE."""
    tzid = prop.params["TZID"]
    (vtz,) = [c for c in cal.walk("VTIMEZONE") if str(c["TZID"]) == tzid]
    own = vtz.to_tz(lookup_tzid=False)
    assert not isinstance(own, ZoneInfo)  # built from the file's rules, not looked up
    return prop.dt.replace(tzinfo=None).replace(tzinfo=own).astimezone(UTC)
