"""Both pure domains refuse a command with one error base: same kinds, same statuses,
and ``str()`` is the sentence the problem response carries, whichever package raised."""

from __future__ import annotations

import pytest

from breakouts.errors import BreakoutError
from domain.errors import DomainError, ErrorKind
from interpretation.errors import InterpretationError


@pytest.mark.parametrize("error_type", [BreakoutError, InterpretationError])
def test_both_domains_refuse_alike(error_type) -> None:
    error = error_type("conflict", "Round r is open; close it first.")
    assert isinstance(error, DomainError)
    assert error.kind is ErrorKind.CONFLICT and error.status == 409
    assert str(error) == error.detail == "Round r is open; close it first."
