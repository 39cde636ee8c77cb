"""The time planner: which start times put most participants inside their working hours.

For an audience spread from Bogotá to Baku there is rarely a slot that suits
everyone; the planner scores every candidate start in a window by how many
people the whole session would reach inside their local working hours (on one
local day, with each zone's real offset on that date, DST included) and names
the people it would not, so a moderator can choose knowingly.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from .time_errors import TimeInputError
from .wallclock import as_utc, format_duration, format_local, format_offset, format_utc
from .working_hours import WorkingHours, parse_working_hours
from .zones import get_zone

__all__ = ["MAX_DURATION", "MAX_WINDOW", "Slot", "parse_iso_duration", "rank_slots"]

MAX_DURATION = timedelta(hours=24)
MAX_WINDOW = timedelta(days=90)
MIN_STEP = timedelta(minutes=5)

_DURATION = re.compile(
    r"P(?:(?P<d>\d{1,6})D)?(?:T(?=\d)(?:(?P<h>\d{1,6})H)?(?:(?P<m>\d{1,6})M)?(?:(?P<s>\d{1,6})S)?)?",
    re.ASCII,  # \d of other scripts would be read as numbers: ISO 8601 is ASCII
)


@dataclass(frozen=True, slots=True)
class Slot:
    """One candidate start: ``inside`` people fit it, ``outside`` lists those who do not.

    ``outside`` rows are ``{person_id, tz, local_start, local_end}``; ``zones`` has one
    row per zone ``{tz, local_start, local_end, abbr, utc_offset, people, inside}``.
    """

    start: datetime
    end: datetime
    inside: int
    outside: tuple[dict[str, Any], ...]
    zones: tuple[dict[str, Any], ...]

    @property
    def total(self) -> int:
        return self.inside + len(self.outside)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, instants as the contract writes them."""
        return {
            "start": format_utc(self.start),
            "end": format_utc(self.end),
            "inside": self.inside,
            "total": self.total,
            "outside": [{**row, "person_id": str(row["person_id"])} for row in self.outside],
            "zones": [dict(row) for row in self.zones],
        }


def rank_slots(
    participants: Iterable[tuple[Hashable, str]],
    duration: timedelta,
    window_start_utc: datetime,
    window_end_utc: datetime,
    step: timedelta = timedelta(minutes=30),
    working_hours: WorkingHours | Any = (time(8), time(21)),
    *,
    limit: int | None = None,
) -> list[Slot]:
    """Candidate starts in the window, most people inside working hours first, then earliest.

    ``participants`` are ``(person_id, tz_name)`` pairs. Candidates lie on a grid of
    ``step`` counted from midnight UTC of the window's first day, starting no earlier
    than ``window_start_utc`` and ending no later than ``window_end_utc``. ``limit``
    keeps only the best ones (the scoring is per zone, so it stays cheap; building
    the ``outside`` lists is what costs with big audiences).
    """
    hours = parse_working_hours(working_hours)
    start, end = _check_window(duration, window_start_utc, window_end_utc, step)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise TimeInputError("limit", limit, "limit must be a positive integer.")

    by_zone: dict[str, list[Hashable]] = {}
    for pair in participants:
        try:
            person_id, tz_name = pair
        except (TypeError, ValueError) as exc:
            raise TimeInputError(
                "participants", str(pair), "each participant must be (person_id, timezone)."
            ) from exc
        by_zone.setdefault(tz_name, []).append(person_id)
    zones = {tz_name: get_zone(tz_name, field="participants") for tz_name in by_zone}

    scored: list[tuple[int, datetime]] = []
    for candidate in _grid(start, end - duration, step):
        inside = sum(
            len(people)
            for tz_name, people in by_zone.items()
            if _fits(hours, candidate, duration, zones[tz_name])
        )
        scored.append((inside, candidate))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    if limit is not None:
        scored = scored[:limit]
    return [_slot(candidate, duration, hours, by_zone, zones) for _, candidate in scored]


def parse_iso_duration(text: object, *, field: str = "duration") -> timedelta:
    """A timedelta from ISO 8601 ``PnDTnHnMnS`` (``"PT2H"``, ``"PT1H30M"``, ``"P1D"``).

    Years, months and weeks are refused: their length depends on the calendar.
    """
    example = 'use ISO 8601 like "PT2H" or "PT1H30M"'
    if not isinstance(text, str) or len(text) > 32:
        raise TimeInputError(field, str(text)[:32], f"{field} is not a duration; {example}.")
    match = _DURATION.fullmatch(text.strip().upper())
    if not match or not any(match.groupdict().values()):
        raise TimeInputError(
            field,
            text,
            f'{field} "{text}" is not a duration this service reads; {example} '
            "(days, hours, minutes, seconds; no years, months or weeks).",
        )
    parts = {k: int(v or 0) for k, v in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def _check_window(
    duration: Any, window_start: Any, window_end: Any, step: Any
) -> tuple[datetime, datetime]:
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise TimeInputError(
            "duration", str(duration), "duration must be longer than zero, e.g. PT2H."
        )
    if duration > MAX_DURATION:
        raise TimeInputError(
            "duration",
            str(duration),
            f"duration {format_duration(duration)} is longer than "
            f"{format_duration(MAX_DURATION)}; plan shorter sessions.",
        )
    if not isinstance(step, timedelta) or not MIN_STEP <= step <= MAX_DURATION:
        raise TimeInputError("step", str(step), "step must be between 5 minutes and 24 hours.")
    for field, value in (("from", window_start), ("to", window_end)):
        if not isinstance(value, datetime):
            raise TimeInputError(field, str(value), f"{field} must be an instant.")
    start, end = as_utc(window_start), as_utc(window_end)
    if end <= start:
        raise TimeInputError(
            "to",
            format_utc(end),
            f"to {format_utc(end)} is not after from {format_utc(start)}.",
        )
    if end - start > MAX_WINDOW:
        raise TimeInputError(
            "to",
            format_utc(end),
            f"the window from {format_utc(start)} to {format_utc(end)} is longer than "
            f"{MAX_WINDOW.days} days; ask for a shorter window.",
        )
    if end - start < duration:
        raise TimeInputError(
            "to",
            format_utc(end),
            f"the window from {format_utc(start)} to {format_utc(end)} is shorter than the "
            f"duration {format_duration(duration)}.",
        )
    return start, end


def _grid(first: datetime, last: datetime, step: timedelta) -> Iterable[datetime]:
    """Starts ``k * step`` after midnight UTC of ``first``'s day, within ``[first, last]``."""
    origin = datetime(first.year, first.month, first.day, tzinfo=UTC)
    skipped = -((origin - first) // step)  # ceil((first - origin) / step)
    candidate = origin + skipped * step
    while candidate <= last:
        yield candidate
        candidate += step


def _fits(hours: WorkingHours, start: datetime, duration: timedelta, zone: Any) -> bool:
    return hours.contains(start.astimezone(zone), (start + duration).astimezone(zone))


def _slot(
    start: datetime,
    duration: timedelta,
    hours: WorkingHours,
    by_zone: dict[str, list[Hashable]],
    zones: dict[str, Any],
) -> Slot:
    end = start + duration
    inside = 0
    outside: list[dict[str, Any]] = []
    zone_rows: list[dict[str, Any]] = []
    for tz_name, people in by_zone.items():
        zone = zones[tz_name]
        local_start = start.astimezone(zone)
        fits = hours.contains(local_start, end.astimezone(zone))
        row = {
            "tz": tz_name,
            "local_start": format_local(start, zone),
            "local_end": format_local(end, zone),
            "abbr": local_start.tzname(),
            "utc_offset": format_offset(local_start.utcoffset()),
            "people": len(people),
            "inside": fits,
        }
        zone_rows.append(row)
        if fits:
            inside += len(people)
        else:
            outside.extend(
                {
                    "person_id": person_id,
                    "tz": tz_name,
                    "local_start": row["local_start"],
                    "local_end": row["local_end"],
                }
                for person_id in people
            )
    zone_rows.sort(key=lambda r: (start.astimezone(zones[r["tz"]]).utcoffset(), r["tz"]))
    return Slot(start, end, inside, tuple(outside), tuple(zone_rows))
