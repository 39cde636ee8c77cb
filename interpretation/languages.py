"""Language codes, interpreting directions and interpreters.

Codes are ISO 639-1: two lowercase ASCII letters. We check the shape, not a
list of codes, so that an event may use any language without a code table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import invalid


def is_language_code(code: object) -> bool:
    return (
        isinstance(code, str)
        and len(code) == 2
        and code.isascii()
        and code.isalpha()
        and code.islower()
    )


def require_language(code: object, what: str = "language") -> str:
    """Return ``code`` if it is a two-letter lowercase code, else raise ``invalid``."""
    if not is_language_code(code):
        raise invalid(
            f"{what} {code!r} is not an ISO 639-1 code; use two lowercase letters such as 'en'."
        )
    return code  # type: ignore[return-value]


@dataclass(frozen=True, order=True)
class Direction:
    """What an interpreter can do: hear ``source`` and speak ``target``."""

    source: str
    target: str

    @classmethod
    def parse(cls, text: object) -> Direction:
        """Parse ``"en>ar"``; anything else is an ``invalid`` domain error."""
        if not isinstance(text, str) or text.count(">") != 1:
            raise invalid(
                f"direction {text!r} must look like 'en>ar' (from language > into language)."
            )
        source, target = text.split(">")
        require_language(source, "direction source")
        require_language(target, "direction target")
        if source == target:
            raise invalid(f"direction {text!r} must go between two different languages.")
        return cls(source, target)

    def __str__(self) -> str:
        return f"{self.source}>{self.target}"


def parse_directions(texts: Iterable[object]) -> tuple[Direction, ...]:
    """Parse, de-duplicate and sort a person's ``interprets`` list."""
    return tuple(sorted({Direction.parse(text) for text in texts}))


@dataclass(frozen=True)
class Interpreter:
    """A person with at least one direction; their booth languages are the targets."""

    person_id: str
    directions: tuple[Direction, ...]

    @classmethod
    def of(cls, person_id: str, interprets: Iterable[object]) -> Interpreter:
        return cls(str(person_id), parse_directions(interprets))

    def works_into(self, language: str) -> bool:
        return any(d.target == language for d in self.directions)

    def can(self, source: str, target: str) -> bool:
        return Direction(source, target) in self.directions

    @property
    def targets(self) -> frozenset[str]:
        return frozenset(d.target for d in self.directions)
