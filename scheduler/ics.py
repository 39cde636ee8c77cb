"""RFC 5545 calendars of sessions, built with ``icalendar``.

Times are written in the zone the session was authored in (``DTSTART;TZID=
Europe/Berlin:20201007T130000``) with that zone's VTIMEZONE in the file, so a
calendar program shows the organisers' wall time and converts it with the rules
the file carries, not with whatever it guesses. The VTIMEZONE is generated only
for the sessions' dates: icalendar's default spans 1970-2038, hundreds of
lines that some programs choke on. UIDs are stable and SEQUENCE grows on every
reschedule so that an import updates the entry instead of duplicating it.

RFC 5545 reads a local time that happens twice (the repeated hour when clocks go
back) as its first occurrence, so such instants are written in UTC form instead.
Texts come from users: line breaks of any kind become LF (escaped by icalendar) and
other control characters are dropped, so no text can end a property line early.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, Timezone, vText

from .time_errors import TimeInputError
from .wallclock import as_utc
from .zones import get_zone

__all__ = ["DEFAULT_PRODID", "CalendarSession", "build_calendar", "session_uid"]

DEFAULT_PRODID = "-//Convene//Convene//EN"

_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def ics_text(value: str) -> vText:
    """A user's text as an iCalendar TEXT value: CR, CRLF and Unicode line
    separators read back as LF, other control characters (tab aside) dropped."""
    return vText(_CONTROLS.sub("", _LINE_BREAKS.sub("\n", value)))


def _local_or_utc(instant: datetime, zone) -> datetime:
    """The instant as wall time in ``zone``, or in UTC when that wall time happens
    twice (RFC 5545 would read it as the first occurrence)."""
    local = as_utc(instant).astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return as_utc(instant)
    return local


def session_uid(session_id: object) -> str:
    """The UID a session keeps for life, whatever happens to its title or time."""
    return f"{session_id}@convene"


@dataclass(frozen=True, slots=True)
class CalendarSession:
    """What the calendar needs of one session; ``start``/``end`` are UTC instants."""

    session_id: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    status: str = "scheduled"
    sequence: int = 0
    url: str | None = None
    description: str | None = None

    @property
    def uid(self) -> str:
        return session_uid(self.session_id)

    @classmethod
    def from_session(
        cls, session_like: Any, *, url: str | None = None, description: str | None = None
    ) -> CalendarSession:
        """From an ORM row or mapping with ``id, title, start, end, timezone, status`` and
        ``sequence`` (or ``ics_sequence``)."""

        def get(name: str, default: Any = None) -> Any:
            if isinstance(session_like, Mapping):
                return session_like.get(name, default)
            return getattr(session_like, name, default)

        sequence = get("sequence")
        if sequence is None:
            sequence = get("ics_sequence", 0)
        return cls(
            session_id=str(get("id")),
            title=get("title") or "",
            start=get("start"),
            end=get("end"),
            timezone=get("timezone"),
            status=get("status") or "scheduled",
            sequence=int(sequence or 0),
            url=url if url is not None else get("url"),
            description=description if description is not None else get("description"),
        )


def build_calendar(
    sessions: Iterable[CalendarSession | Mapping[str, Any]],
    *,
    calendar_name: str,
    prodid: str = DEFAULT_PRODID,
    dtstamp: datetime | None = None,
) -> bytes:
    """The calendar file (CRLF line endings, as RFC 5545 requires) for ``sessions``.

    Mappings are read with ``CalendarSession.from_session``. ``dtstamp`` defaults
    to now; pass it for reproducible output.
    """
    items = [
        s if isinstance(s, CalendarSession) else CalendarSession.from_session(s) for s in sessions
    ]
    items.sort(key=lambda s: (as_utc(s.start), s.uid))
    stamp = as_utc(dtstamp or datetime.now(UTC))

    cal = Calendar()
    cal.add("PRODID", prodid)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    cal.add("NAME", ics_text(calendar_name))
    cal.add("X-WR-CALNAME", ics_text(calendar_name))

    spans: dict[str, tuple[date, date]] = {}
    for item in items:
        cal.add_component(_event(item, stamp))
        zone = get_zone(item.timezone)
        first = as_utc(item.start).astimezone(zone).date()
        last = as_utc(item.end).astimezone(zone).date()
        if item.timezone in spans:
            old_first, old_last = spans[item.timezone]
            first, last = min(first, old_first), max(last, old_last)
        spans[item.timezone] = (first, last)

    # Only zones icalendar wrote as TZID need a VTIMEZONE (UTC is written with Z).
    for index, tzid in enumerate(sorted(cal.get_missing_tzids())):
        first, last = spans.get(tzid) or (
            min(f for f, _ in spans.values()),
            max(t for _, t in spans.values()),
        )
        vtimezone = Timezone.from_tzinfo(
            get_zone(tzid), tzid, first_date=first, last_date=last + timedelta(days=1)
        )
        cal.subcomponents.insert(index, vtimezone)
    return cal.to_ical()


def _event(item: CalendarSession, stamp: datetime) -> Event:
    if isinstance(item.sequence, bool) or not isinstance(item.sequence, int) or item.sequence < 0:
        raise TimeInputError("sequence", item.sequence, "sequence must be an integer >= 0.")
    zone = get_zone(item.timezone)
    event = Event()
    event.add("UID", item.uid)
    event.add("DTSTAMP", stamp)
    event.add("DTSTART", _local_or_utc(item.start, zone))
    event.add("DTEND", _local_or_utc(item.end, zone))
    event.add("SUMMARY", ics_text(item.title))
    description = item.description or ""
    if item.url:
        event.add("URL", item.url)
        event.add("LOCATION", item.url)  # what most calendar programs show as a link
        description = f"{description}\n\nJoin: {item.url}" if description else f"Join: {item.url}"
    if description:
        event.add("DESCRIPTION", ics_text(description))
    event.add("STATUS", "CANCELLED" if item.status == "cancelled" else "CONFIRMED")
    event.add("SEQUENCE", item.sequence)
    return event
