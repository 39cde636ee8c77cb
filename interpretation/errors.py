"""The one error type of the interpretation domain.

Commands raise ``InterpretationError`` before touching anything, so a rejected
command changes nothing; the server maps ``kind`` to an HTTP status and puts
``detail`` (a human sentence saying what to do) in its problem response.
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


class InterpretationError(Exception):
    """A command the domain refuses; ``kind`` says which HTTP status fits."""

    def __init__(self, kind: ErrorKind | str, detail: str) -> None:
        self.kind = ErrorKind(kind)
        self.detail = detail
        super().__init__(f"{self.kind}: {detail}")

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.kind]


def invalid(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.INVALID, detail)


def not_found(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.NOT_FOUND, detail)


def forbidden(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.FORBIDDEN, detail)


def conflict(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.CONFLICT, detail)
