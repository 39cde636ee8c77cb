"""Sentences the service writes use the right article ("an observer", not "a observer")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from breakouts.model import Role, RoundStatus
from breakouts.wording import with_article

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        (Role.MODERATOR.value, "a moderator"),
        (Role.PARTICIPANT.value, "a participant"),
        (Role.INTERPRETER.value, "an interpreter"),
        (Role.OBSERVER.value, "an observer"),
        ("admin", "an admin"),
        (RoundStatus.OPEN.value, "an open"),
        (RoundStatus.PLANNED.value, "a planned"),
        (RoundStatus.CLOSING.value, "a closing"),
    ],
)
def test_the_article_matches_the_word(word: str, expected: str) -> None:
    assert with_article(word) == expected
    assert with_article(word, capital=True) == expected[0].upper() + expected[1:]


def test_no_message_writes_a_fixed_article_before_a_word_it_fills_in() -> None:
    """A fixed "a {...}" in a sentence is right for some words and wrong for others."""
    fixed_article = re.compile(r"\b[Aa]n? \{")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in ("server", "breakouts", "interpretation", "scheduler")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if fixed_article.search(line)
    ]
    assert found == []
