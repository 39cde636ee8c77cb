"""Both pure domains refuse a command with one error base: same kinds, same statuses,
and ``str()`` is the sentence the problem response carries, whichever package raised."""

from __future__ import annotations

import orjson
import pytest

from breakouts.errors import BreakoutError
from domain.errors import DomainError, ErrorKind
from interpretation.errors import InterpretationError
from server import errors


@pytest.mark.parametrize("error_type", [BreakoutError, InterpretationError])
def test_both_domains_refuse_alike(error_type) -> None:
    error = error_type("conflict", "Round r is open; close it first.")
    assert isinstance(error, DomainError)
    assert error.kind is ErrorKind.CONFLICT and error.status == 409
    assert str(error) == error.detail == "Round r is open; close it first."


@pytest.mark.parametrize(
    ("problem", "slug"),
    [
        (errors.Problem("media is not configured", status=503), "service-unavailable"),
        (errors.Problem("send CSV or JSON", status=415), "unsupported-media-type"),
        (errors.Problem("bad"), "bad-request"),
        (errors.Conflict("busy"), "conflict"),
    ],
)
def test_a_problems_type_follows_its_status(problem, slug):
    """A 503 typed ``bad-request`` sent clients that dispatch on ``type`` (as the
    protocol asks) down the wrong path."""
    body = errors.problem_response(problem.status, problem.detail, slug=problem.slug).body
    assert orjson.loads(body)["type"] == f"https://convene.dev/problems/{slug}"
