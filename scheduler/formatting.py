"""Instants and durations as the contract and people read them.

Apart from ``wallclock`` (which reads text into instants) so that the error types,
which quote instants, need not import the reader that raises them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo


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
