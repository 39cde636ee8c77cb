"""Working hours: the local day span in which it is reasonable to ask someone to attend.

One rule for the local-times view and the planner: a session is inside working
hours for a person when it starts and ends on the same local day within the span
(08:00-21:00 by default, configurable per event). Local times are taken from the
instants, so a session crossing a DST change is judged by the clocks people see.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from .time_errors import TimeInputError

__all__ = ["DEFAULT_WORKING_HOURS", "WorkingHours", "parse_working_hours"]

_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """A same-day local span ``start``-``end`` (``end`` after ``start``, no overnight)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo or self.end.tzinfo or not self.start < self.end:
            raise TimeInputError(
                "working_hours",
                str(self),
                f"working hours {self} must be a local span within one day, start before end "
                '(e.g. "08:00-21:00").',
            )

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def starts_inside(self, local_start: datetime) -> bool:
        """Whether a local start time falls in ``[start, end)``."""
        return self.start <= local_start.time() < self.end

    def contains(self, local_start: datetime, local_end: datetime) -> bool:
        """Whether ``local_start``-``local_end`` lies inside the span on one local day."""
        if local_end.date() != local_start.date():
            return False
        return self.start <= local_start.time() and local_end.time() <= self.end


DEFAULT_WORKING_HOURS = WorkingHours(time(8), time(21))


def parse_working_hours(
    value: WorkingHours | str | Sequence[time | Sequence[int]] | None = None,
) -> WorkingHours:
    """A WorkingHours from ``"08:00-21:00"``, ``(time(8), time(21))`` or ``((8, 0), (21, 0))``."""
    if value is None:
        return DEFAULT_WORKING_HOURS
    if isinstance(value, WorkingHours):
        return value
    try:
        if isinstance(value, str):
            match = _SPAN.fullmatch(value.strip())
            if not match:
                raise ValueError(value)
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            return WorkingHours(time(h1, m1), time(h2, m2))
        first, last = value
        return WorkingHours(_as_time(first), _as_time(last))
    except TimeInputError:
        raise
    except (ValueError, TypeError) as exc:
        raise TimeInputError(
            "working_hours",
            str(value),
            f'working hours "{value}" are not a span like "08:00-21:00".',
        ) from exc


def _as_time(part: time | Sequence[int]) -> time:
    if isinstance(part, time):
        return part
    return time(*part)
