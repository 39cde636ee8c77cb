"""The error base of the pure domains.

A command the domain refuses raises a ``DomainError`` before it builds any new state,
so a rejected command changes nothing. The server maps ``kind`` to an HTTP status
and puts ``detail`` (a sentence saying what to do) in its problem response; ``str()``
is that sentence, whichever package raised it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Self


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


class DomainError(Exception):
    """A refused command; ``kind`` says which HTTP status fits, ``detail`` why."""

    def __init__(self, kind: ErrorKind | str, detail: str) -> None:
        self.kind = ErrorKind(kind)
        self.detail = detail
        super().__init__(detail)

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.kind]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind.value!r}, {self.detail!r})"

    @classmethod
    def refusals(cls) -> tuple[Callable[[str], Self], ...]:
        """``invalid, not_found, forbidden, conflict``: one constructor per kind, each
        making this class (a package's own error type)."""
        return tuple(functools.partial(cls, kind) for kind in ErrorKind)
