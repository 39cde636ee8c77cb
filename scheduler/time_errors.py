"""Errors for time input a client can fix: each names the field and the value it got.

They carry no HTTP knowledge; the server maps them to a 422 problem object with
``problem_fields()`` (``detail``, ``field``, ``value`` and, for wall times that do
not name one instant, ``candidates``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .formatting import format_utc


class TimeInputError(ValueError):
    """Invalid time input: ``field`` and ``value`` say what, ``detail`` says how to fix it."""

    def __init__(self, field: str, value: Any, detail: str):
        super().__init__(detail)
        self.field = field
        self.value = value
        self.detail = detail

    def problem_fields(self) -> dict[str, Any]:
        """Members for an RFC 9457 problem object (JSON-ready)."""
        return {"detail": self.detail, "field": self.field, "value": _jsonable(self.value)}


class _TwoCandidatesError(TimeInputError):
    """A local wall time that names zero or two instants; ``candidates`` are both readings."""

    def __init__(self, field: str, value: Any, detail: str, candidates: tuple[datetime, datetime]):
        super().__init__(field, value, detail)
        self.candidates = candidates

    def problem_fields(self) -> dict[str, Any]:
        fields = super().problem_fields()
        fields["candidates"] = [format_utc(c) for c in self.candidates]
        return fields


class AmbiguousTimeError(_TwoCandidatesError):
    """The wall time happens twice (clocks fall back); ``candidates`` earliest first."""


class NonexistentTimeError(_TwoCandidatesError):
    """The wall time is skipped (clocks spring forward); ``candidates`` earliest first."""


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class TooManyRowsError(TimeInputError):
    """An answer would be too large; ``max_limit`` is the largest ``limit`` that fits."""

    def __init__(self, field: str, value: Any, detail: str, *, max_limit: int):
        super().__init__(field, value, detail)
        self.max_limit = max_limit

    def problem_fields(self) -> dict[str, Any]:
        return {**super().problem_fields(), "max_limit": self.max_limit}
