"""The time planner: which start times put most participants inside their working hours.

For an audience spread from Bogotá to Baku there is rarely a slot that suits
everyone; the planner scores every candidate start in a window by how many
people the whole session would reach inside their local working hours (on one
local day, with each zone's real offset on that date, DST included) and names
the people it would not, so a moderator can choose knowingly.

The scoring is per distinct zone, not per person and candidate: a zone's offset
changes a few times a window, and between changes the starts that fit its working
hours are one run of the grid per local day. A 90-day window on a 5-minute grid
for 300 zones is then some 30,000 runs, not 15 million conversions. What a slot
lists (a row per zone and per person outside) is bounded by ``max_rows``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from .time_errors import TimeInputError, TooManyRowsError
from .wallclock import as_utc, format_duration, format_local, format_offset, format_utc
from .working_hours import WorkingHours, parse_working_hours
from .zones import get_zone

__all__ = [
    "MAX_DURATION",
    "MAX_ROWS",
    "MAX_WINDOW",
    "MIN_STEP",
    "Slot",
    "parse_iso_duration",
    "rank_slots",
]

MAX_DURATION = timedelta(hours=24)
MAX_WINDOW = timedelta(days=90)
MIN_STEP = timedelta(minutes=5)
# Rows (zone rows plus people outside) one answer may list: about 4 MB of JSON.
MAX_ROWS = 20_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
# Offsets are sampled this far apart and each change is found by bisection: exact as
# long as no zone changes its offset twice within it (the closest pair of changes in
# the tz database is a week apart; tests/unit/test_time_planner_fast.py checks).
_SAMPLE_US = 12 * 3_600_000_000

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
    max_rows: int | None = None,
) -> list[Slot]:
    """Candidate starts in the window, most people inside working hours first, then earliest.

    ``participants`` are ``(person_id, tz_name)`` pairs. Candidates lie on a grid of
    ``step`` counted from midnight UTC of the window's first day, starting no earlier
    than ``window_start_utc`` and ending no later than ``window_end_utc``. ``limit``
    keeps only the best ones. With ``max_rows``, an answer that would list more rows
    (zones plus people outside, over the slots kept) raises ``TooManyRowsError``
    naming the largest ``limit`` that fits.
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

    first = _first_start(start, step)
    count = (end - duration - first) // step + 1 if first <= end - duration else 0
    inside = _inside_counts(first, count, step, duration, hours, by_zone, zones)
    # best first; ``sorted`` is stable, so equal counts stay earliest first
    order = sorted(range(count), key=inside.__getitem__, reverse=True)
    if limit is not None:
        order = order[:limit]
    if max_rows is not None:
        total = sum(len(people) for people in by_zone.values())
        _check_rows(order, [len(by_zone) + total - inside[k] for k in order], limit, max_rows)
    return [_slot(first + k * step, duration, hours, by_zone, zones) for k in order]


def _check_rows(order: list[int], rows: list[int], limit: int | None, max_rows: int) -> None:
    """Refuse an answer that would list more than ``max_rows`` rows, naming the largest
    ``limit`` that fits."""
    listed = 0
    for fitting, n in enumerate(rows):
        listed += n
        if listed > max_rows:
            raise TooManyRowsError(
                "limit",
                limit,
                f"{len(order)} slots would list {sum(rows):,} rows (a row per zone and per "
                f"person outside), more than {max_rows:,}; "
                + (
                    f"ask for at most {fitting} slots (limit={fitting})."
                    if fitting
                    else "even one slot is too large for this audience."
                ),
                max_limit=fitting,
            )


def _us(instant: datetime) -> int:
    return (instant - _EPOCH) // _US


def _offset_us(instant_us: int, zone: Any) -> int:
    return (_EPOCH + instant_us * _US).astimezone(zone).utcoffset() // _US


def _changes(zone: Any, first_us: int, last_us: int) -> list[int]:
    """The instants in ``(first_us, last_us]`` where the zone's offset changes."""
    out: list[int] = []
    before, offset = first_us, _offset_us(first_us, zone)
    while before < last_us:
        after = min(before + _SAMPLE_US, last_us)
        offset_after = _offset_us(after, zone)
        if offset_after != offset:
            lo, hi = before, after  # offset(lo) == offset, offset(hi) == offset_after
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_us(mid, zone) == offset:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
        before, offset = after, offset_after
    return out


def _inside_counts(
    first: datetime,
    count: int,
    step: timedelta,
    duration: timedelta,
    hours: WorkingHours,
    by_zone: dict[str, list[Hashable]],
    zones: dict[str, Any],
) -> list[int]:
    """For each candidate ``first + k * step`` (k < count), how many people it fits.

    Per zone: between two changes of the offset at the start or at the end, a
    candidate ``t`` fits when its local time of day ``x`` lies in one span, so the
    fitting candidates are one run of ``k`` per local day, added with a difference
    array.
    """
    if count <= 0:
        return []
    g0, step_us, d_us = _us(first), step // _US, duration // _US
    last = g0 + (count - 1) * step_us
    day_start = _time_us(hours.start)
    day_end = _time_us(hours.end)
    diff = [0] * (count + 1)
    for tz_name, people in by_zone.items():
        zone, n = zones[tz_name], len(people)
        cuts = {t for t in _changes(zone, g0, last)}
        cuts.update(t - d_us for t in _changes(zone, g0 + d_us, last + d_us))
        bounds = [g0, *sorted(t for t in cuts if g0 < t <= last), last + 1]
        for p, q in zip(bounds, bounds[1:], strict=False):
            ka, kb = -((g0 - p) // step_us), -((g0 - q) // step_us)  # ceil divisions
            if ka >= kb:
                continue
            o1, o2 = _offset_us(p, zone), _offset_us(p + d_us, zone)
            shift = d_us + o2 - o1  # local end minus local start
            lo, hi = max(day_start, -shift), day_end - shift  # local time of day of the start
            if lo > hi:
                continue
            t_first, t_last = g0 + ka * step_us, g0 + (kb - 1) * step_us
            for day in range((t_first + o1) // _DAY_US, (t_last + o1) // _DAY_US + 1):
                base = day * _DAY_US - o1 - g0
                k_lo = max(ka, -((-(base + lo)) // step_us))
                k_hi = min(kb - 1, (base + hi) // step_us)
                if k_lo <= k_hi:
                    diff[k_lo] += n
                    diff[k_hi + 1] -= n
    inside, running = [], 0
    for k in range(count):
        running += diff[k]
        inside.append(running)
    return inside


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


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


def _first_start(first: datetime, step: timedelta) -> datetime:
    """The first ``k * step`` after midnight UTC of ``first``'s day not before ``first``."""
    origin = datetime(first.year, first.month, first.day, tzinfo=UTC)
    skipped = -((origin - first) // step)  # ceil((first - origin) / step)
    return origin + skipped * step


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
