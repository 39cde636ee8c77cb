"""The error type of the interpretation domain (see ``domain.errors``)."""

from __future__ import annotations

from domain.errors import DomainError


class InterpretationError(DomainError):
    """A command the domain refuses; ``kind`` says which HTTP status fits."""


invalid, not_found, forbidden, conflict = InterpretationError.refusals()
