"""The error type of the interpretation domain (see ``domain.errors``)."""

from __future__ import annotations

from domain.errors import DomainError, ErrorKind


class InterpretationError(DomainError):
    """A command the domain refuses; ``kind`` says which HTTP status fits."""


def invalid(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.INVALID, detail)


def not_found(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.NOT_FOUND, detail)


def forbidden(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.FORBIDDEN, detail)


def conflict(detail: str) -> InterpretationError:
    return InterpretationError(ErrorKind.CONFLICT, detail)
