"""Numbers from client text: ASCII digits within a length bound, nothing else."""

from __future__ import annotations

import pytest

from server.numbers import MAX_DIGITS, natural


@pytest.mark.parametrize(
    "text,expected",
    [
        ("0", 0),
        ("17", 17),
        (b"42", 42),
        ("9" * MAX_DIGITS, int("9" * MAX_DIGITS)),
        ("9" * (MAX_DIGITS + 1), None),
        ("1" * 5000, None),
        ("²", None),
        ("①", None),
        ("٣", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1\n", None),
        ("1_000", None),
        ("", None),
        (None, None),
        ("\udcff", None),
    ],
)
def test_natural(text, expected):
    assert natural(text) == expected
