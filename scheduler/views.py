"""A session seen from one zone: the schedule rows and the local-times table of the contract.

Each row shows the local wall time with its offset and abbreviation, because
"13:00 CEST" on a date that is CET, or a date that silently moves by a day in
Bogotá or Taipei, is exactly how people end up an hour (or a day) off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .wallclock import as_utc, format_local, format_offset, format_utc
from .working_hours import WorkingHours, parse_working_hours
from .zones import get_zone

__all__ = ["count_zones", "local_times", "local_view", "person_local_start", "schedule_entry"]


def local_view(
    start_utc: datetime, end_utc: datetime, tz_name: str, reference_tz: str
) -> dict[str, Any]:
    """``{tz, start, end, start_abbr, end_abbr, day_shift}`` for the contract's ``local``.

    ``day_shift`` is the start's local date in ``tz_name`` minus its local date in
    ``reference_tz`` (the event's zone), in days: -1 in Bogotá for a session at
    01:00 Berlin, +1 in Taipei for one at 18:00 Berlin.
    """
    zone = get_zone(tz_name, field="tz")
    reference = get_zone(reference_tz, field="timezone")
    start = as_utc(start_utc).astimezone(zone)
    end = as_utc(end_utc).astimezone(zone)
    shift = start.date() - as_utc(start_utc).astimezone(reference).date()
    return {
        "tz": tz_name,
        "start": format_local(start_utc, zone),
        "end": format_local(end_utc, zone),
        "start_abbr": start.tzname(),
        "end_abbr": end.tzname(),
        "day_shift": shift.days,
    }


def schedule_entry(session_like: Any, tz_name: str, event_tz: str) -> dict[str, Any]:
    """The contract's schedule row ``{id, title, start, end, local}`` for one session.

    ``session_like`` is anything with ``id``, ``title``, ``start`` and ``end`` (UTC)
    as attributes or mapping keys, e.g. the ORM row.
    """
    start, end = _get(session_like, "start"), _get(session_like, "end")
    return {
        "id": str(_get(session_like, "id")),
        "title": _get(session_like, "title"),
        "start": format_utc(start),
        "end": format_utc(end),
        "local": local_view(start, end, tz_name, event_tz),
    }


def local_times(
    start_utc: datetime,
    people_zones: Mapping[str, int],
    working_hours: WorkingHours | Any = None,
    *,
    end_utc: datetime | None = None,
) -> list[dict[str, Any]]:
    """The session's start in every zone people live in, sorted by UTC offset.

    Rows ``{tz, local_start, abbr, utc_offset, people, outside_hours}``. Without
    ``end_utc`` a start is outside when it is not in ``[08:00, 21:00)`` local; with it,
    when the whole session does not fit inside the span on one local day (the
    planner's rule).
    """
    hours = parse_working_hours(working_hours)
    rows = []
    for tz_name, people in people_zones.items():
        zone = get_zone(tz_name, field="tz")
        local_start = as_utc(start_utc).astimezone(zone)
        if end_utc is None:
            outside = not hours.starts_inside(local_start)
        else:
            outside = not hours.contains(local_start, as_utc(end_utc).astimezone(zone))
        rows.append(
            {
                "tz": tz_name,
                "local_start": format_local(start_utc, zone),
                "abbr": local_start.tzname(),
                "utc_offset": format_offset(local_start.utcoffset()),
                "people": people,
                "outside_hours": outside,
                "_offset": local_start.utcoffset(),
            }
        )
    rows.sort(key=lambda row: (row["_offset"], row["tz"]))
    for row in rows:
        del row["_offset"]
    return rows


def person_local_start(person_id: Any, tz_name: str, start_utc: datetime) -> dict[str, Any]:
    """``{person_id, timezone, local_start, abbr}``: one entry of a reminder's ``people``."""
    zone = get_zone(tz_name, field="timezone")
    return {
        "person_id": str(person_id),
        "timezone": tz_name,
        "local_start": format_local(start_utc, zone),
        "abbr": as_utc(start_utc).astimezone(zone).tzname(),
    }


def count_zones(zones: Iterable[str]) -> dict[str, int]:
    """``{tz: people}`` from one zone name per person, for ``local_times``."""
    counts: dict[str, int] = {}
    for tz in zones:
        counts[tz] = counts.get(tz, 0) + 1
    return counts


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj[name]
    return getattr(obj, name)
