"""Wall times and instants: reading what a person typed into one UTC instant, and back.

An organiser writes "07.10.2020 13:00" in Europe/Berlin and means the instant
11:00 UTC; in November the same words mean 12:00 UTC. A wall time in a DST gap
names no instant and one in the fall-back hour names two: those are refused with
both readings instead of guessing, because a guess sends half the audience to the
wrong hour. A value with an explicit offset (or ``Z``) is taken as is.

Text forms: ISO 8601 (what ``datetime.fromisoformat`` reads: ``2020-10-07T13:00``,
``2020-10-07 13:00:00+02:00``, ``2020-10-07T11:00:00Z``) and the organisers' own
``07.10.2020 13:00``. A date without a time is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from .time_errors import AmbiguousTimeError, NonexistentTimeError, TimeInputError
from .zones import get_zone

__all__ = [
    "MAX_SESSION",
    "as_utc",
    "format_duration",
    "format_local",
    "format_offset",
    "format_utc",
    "parse_utc",
    "resolve_instant",
    "resolve_span",
    "validate_span",
]

MAX_SESSION = timedelta(hours=24)
MIN_YEAR, MAX_YEAR = 1970, 2999  # beyond this, offsets are guesswork and arithmetic overflows
_MAX_TEXT = 64

_DOTTED = re.compile(
    r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"
    r"[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?",
    re.ASCII,  # \d of other scripts would be read as numbers
)
_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}|\d{1,2}\.\d{1,2}\.\d{4}", re.ASCII)


# ---------------------------------------------------------------- formatting


def as_utc(dt: datetime) -> datetime:
    """An aware UTC datetime for a stored instant.

    Naive values are taken as UTC: stored instants are UTC and some drivers (SQLite)
    drop the zone. Never pass a local wall time here; use ``resolve_instant``.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_utc(dt: datetime) -> str:
    """``"2021-08-31T12:00:00Z"``: the contract's instant format.

    Whole seconds; milliseconds are added (``"...:00.250Z"``) only when they are not
    zero, and digits below the millisecond are dropped (truncated), so an instant
    read back from the database prints the same way it was sent.
    """
    return as_utc(dt).replace(tzinfo=None).isoformat(timespec=_timespec(dt)) + "Z"


def format_local(dt: datetime, zone: tzinfo) -> str:
    """The instant as ISO 8601 wall time in ``zone`` with its UTC offset.

    ``"2020-10-07T15:00:00+04:00"``; same precision rule as ``format_utc``.
    """
    return as_utc(dt).astimezone(zone).isoformat(timespec=_timespec(dt))


def format_offset(offset: timedelta | None) -> str:
    """``"+02:00"``, ``"-05:00"`` (``"+05:45"``; seconds only when a zone has them)."""
    seconds = int((offset or timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return f"{text}:{secs:02d}" if secs else text


def format_duration(delta: timedelta) -> str:
    """``"2 h 30 min"``: for error messages people read."""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _timespec(dt: datetime) -> str:
    return "milliseconds" if dt.microsecond // 1000 else "seconds"


def _wall_text(wall: datetime) -> str:
    if wall.microsecond:
        return wall.isoformat(timespec="milliseconds")
    return wall.isoformat(timespec="minutes" if not wall.second else "seconds")


# ---------------------------------------------------------------- parsing


def parse_utc(value: str | datetime, *, field: str = "at") -> datetime:
    """An instant that must carry its offset (or ``Z``), as aware UTC.

    For query parameters and stored strings, where a wall time would be a bug.
    """
    dt = _parse(value, field)
    if dt.tzinfo is None:
        raise TimeInputError(
            field,
            _shown(value),
            f'{field} "{_shown(value)}" has no UTC offset; send it like '
            f'"2020-10-07T11:00:00Z" or "2020-10-07T13:00:00+02:00".',
        )
    return _aware_to_utc(dt, field, value)


def resolve_instant(
    value: str | datetime,
    zone_name: str,
    *,
    field: str = "start",
    zone_field: str = "timezone",
) -> datetime:
    """The UTC instant ``value`` names: its own offset if it has one, else wall time in zone.

    Raises TimeInputError for text that is not a date and time, an unknown zone
    (naming ``zone_field``), NonexistentTimeError for a wall time in a DST gap and
    AmbiguousTimeError for one in the repeated hour, both with ``candidates``.
    """
    zone = get_zone(zone_name, field=zone_field)
    dt = _parse(value, field)
    if dt.tzinfo is not None:
        return _aware_to_utc(dt, field, value)
    return _wall_to_utc(dt.replace(fold=0), zone, zone_name, field)


def resolve_span(
    start: str | datetime,
    end: str | datetime,
    zone_name: str,
    *,
    max_length: timedelta = MAX_SESSION,
) -> tuple[datetime, datetime]:
    """``start`` and ``end`` resolved in ``zone_name`` and checked by ``validate_span``."""
    start_utc = resolve_instant(start, zone_name, field="start")
    end_utc = resolve_instant(end, zone_name, field="end")
    validate_span(start_utc, end_utc, max_length=max_length)
    return start_utc, end_utc


def validate_span(
    start: datetime,
    end: datetime,
    *,
    max_length: timedelta = MAX_SESSION,
    field: str = "end",
) -> timedelta:
    """The span's length, after checking that ``end`` is after ``start`` and not too far."""
    start_utc, end_utc = as_utc(start), as_utc(end)
    length = end_utc - start_utc
    if length <= timedelta(0):
        raise TimeInputError(
            field,
            format_utc(end_utc),
            f"{field} {format_utc(end_utc)} is not after start {format_utc(start_utc)}; "
            "send an end later than the start.",
        )
    if length > max_length:
        raise TimeInputError(
            field,
            format_utc(end_utc),
            f"{field} {format_utc(end_utc)} is {format_duration(length)} after start "
            f"{format_utc(start_utc)}; a session may last at most "
            f"{format_duration(max_length)}: split it into several sessions.",
        )
    return length


def _shown(value: object) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "..."


def _parse(value: object, field: str) -> datetime:
    """A datetime from the accepted forms; naive means wall time, aware means instant."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        dt = _parse_text(value, field)
    else:
        raise TimeInputError(
            field, _shown(value), f"{field} must be an ISO 8601 date and time string."
        )
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise TimeInputError(
            field,
            _shown(value),
            f'{field} "{_shown(value)}" is outside the years {MIN_YEAR}-{MAX_YEAR} '
            "this service schedules.",
        )
    return dt


def _parse_text(text: str, field: str) -> datetime:
    stripped = text.strip()
    example = 'send e.g. "2020-10-07T13:00" (wall time) or "2020-10-07T11:00:00Z"'
    if not stripped or len(stripped) > _MAX_TEXT:
        raise TimeInputError(
            field, _shown(text), f'{field} "{_shown(text)}" is not a date and time; {example}.'
        )
    if _DATE_ONLY.fullmatch(stripped):
        raise TimeInputError(
            field,
            text,
            f'{field} "{text}" is a date without a time of day; {example}.',
        )
    dotted = _DOTTED.fullmatch(stripped)
    try:
        if dotted:
            parts = {k: int(v) for k, v in dotted.groupdict(default="0").items()}
            return datetime(parts["y"], parts["m"], parts["d"], parts["H"], parts["M"], parts["S"])
        return datetime.fromisoformat(stripped)
    except (ValueError, TypeError, OverflowError) as exc:
        raise TimeInputError(
            field,
            _shown(text),
            f'{field} "{_shown(text)}" is not an ISO 8601 date and time; {example}.',
        ) from exc


def _aware_to_utc(dt: datetime, field: str, value: object) -> datetime:
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise TimeInputError(
            field, _shown(value), f'{field} "{_shown(value)}" is out of range.'
        ) from exc


def _wall_to_utc(wall: datetime, zone: tzinfo, zone_name: str, field: str) -> datetime:
    """One instant for a naive wall time, or the two-candidate errors.

    PEP 495: ``fold=0`` reads the wall time with the offset in force before a
    transition, ``fold=1`` with the one after. Equal offsets: one instant. Else
    the readings that survive a round trip through UTC are real: both in a
    fall-back (the hour happens twice), neither in a spring-forward gap.
    """
    readings = [wall.replace(tzinfo=zone, fold=fold) for fold in (0, 1)]
    offsets = [r.utcoffset() for r in readings]
    if offsets[0] == offsets[1]:
        return _aware_to_utc(readings[0], field, wall)
    real = [r for r in readings if r.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall]
    if len(real) == 1:  # not seen with zoneinfo; trust the one that round-trips
        return _aware_to_utc(real[0], field, wall)
    ordered = sorted(readings, key=lambda r: r.astimezone(UTC))
    candidates = (ordered[0].astimezone(UTC), ordered[1].astimezone(UTC))
    named = [f"{format_utc(r)} ({r.tzname()}, {format_offset(r.utcoffset())})" for r in ordered]
    wall_text = _wall_text(wall)
    with_offsets = " or ".join(f"{wall_text}{format_offset(r.utcoffset())}" for r in ordered)
    if real:
        detail = (
            f"{wall_text} does not name one instant in {zone_name}: it happens twice, "
            f"at {named[0]} and {named[1]}; send the time with an explicit offset "
            f"({with_offsets})."
        )
        raise AmbiguousTimeError(field, wall_text, detail, candidates)
    detail = (
        f"{wall_text} does not name one instant in {zone_name}: it does not exist there "
        f"(the clocks skip it), so it could mean {named[0]} or {named[1]}; send the "
        f"time with an explicit offset ({with_offsets})."
    )
    raise NonexistentTimeError(field, wall_text, detail, candidates)
