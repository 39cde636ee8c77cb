"""Words the service puts into its sentences: "an observer", "a moderator".

Only for our own vocabulary (roles, round and session statuses), where the first
letter decides; no English word list is needed for that.
"""

from __future__ import annotations


def with_article(word: str, *, capital: bool = False) -> str:
    """``word`` after its indefinite article: "an interpreter", "a participant"."""
    article = "an" if word[:1].casefold() in ("a", "e", "i", "o", "u") else "a"
    if capital:
        article = article.capitalize()
    return f"{article} {word}"
