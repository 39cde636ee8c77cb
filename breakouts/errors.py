"""The error type of the breakout domain (see ``domain.errors``)."""

from __future__ import annotations

from domain.errors import DomainError, ErrorKind


class BreakoutError(DomainError):
    """A command was refused; ``detail`` says what was wrong and how to fix it."""


invalid, not_found, forbidden, conflict = BreakoutError.refusals()


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
