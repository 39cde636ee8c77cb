"""The one error type of the breakout domain.

The server maps ``kind`` to an HTTP status and ``detail`` to the problem
object's ``detail``, so every rejection reads the same whichever command
raised it. A rejected command has changed nothing: domain functions raise
before they build any new state.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"


HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.CONFLICT: 409,
}


class BreakoutError(Exception):
    """A command was refused; ``detail`` says what was wrong and how to fix it."""

    def __init__(self, kind: ErrorKind | str, detail: str) -> None:
        self.kind = ErrorKind(kind)
        self.detail = detail
        super().__init__(detail)

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.kind]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind.value!r}, {self.detail!r})"


def invalid(detail: str) -> BreakoutError:
    return BreakoutError(ErrorKind.INVALID, detail)


def not_found(detail: str) -> BreakoutError:
    return BreakoutError(ErrorKind.NOT_FOUND, detail)


def forbidden(detail: str) -> BreakoutError:
    return BreakoutError(ErrorKind.FORBIDDEN, detail)


def conflict(detail: str) -> BreakoutError:
    return BreakoutError(ErrorKind.CONFLICT, detail)


class CsvAssignmentError(BreakoutError):
    """A CSV assignment with bad lines: all of them are listed, none is applied.

    ``errors`` holds ``(line_number, reason)`` pairs, line 1 being the header,
    so the moderator can fix the whole file in one go.
    """

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        noun = "line" if count == 1 else "lines"
        listing = "; ".join(f"line {line}: {reason}" for line, reason in self.errors[:20])
        more = f"; and {count - 20} more" if count > 20 else ""
        super().__init__(
            ErrorKind.INVALID,
            f"The CSV has {count} bad {noun} and nothing was applied. "
            f"Fix them and upload the file again: {listing}{more}.",
        )
