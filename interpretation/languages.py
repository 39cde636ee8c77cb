"""Language codes, interpreting directions and interpreters.

Codes are ISO 639-1, the one table of them for the whole service (request models,
``scheduler`` and this package): the full registered set, 183 codes (the withdrawn
``bh``, ``in``, ``iw``, ``ji``, ``jw``, ``mo`` and ``sh`` are not in it), so that
"arabic" or "AR" is refused with a clear error instead of opening a channel nobody
can match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import invalid

ISO_639_1: frozenset[str] = frozenset(
    """
    aa ab ae af ak am an ar as av ay az
    ba be bg bi bm bn bo br bs
    ca ce ch co cr cs cu cv cy
    da de dv dz
    ee el en eo es et eu
    fa ff fi fj fo fr fy
    ga gd gl gn gu gv
    ha he hi ho hr ht hu hy hz
    ia id ie ig ii ik io is it iu
    ja jv
    ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv
    mg mh mi mk ml mn mr ms mt my
    na nb nd ne ng nl nn no nr nv ny
    oc oj om or os
    pa pi pl ps pt
    qu
    rm rn ro ru rw
    sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw
    ta te tg th ti tk tl tn to tr ts tt tw ty
    ug uk ur uz
    ve vi vo
    wa wo
    xh
    yi yo
    za zh zu
    """.split()
)


def is_language_code(code: object) -> bool:
    """True for a registered ISO 639-1 code, exactly as written (lowercase, two letters)."""
    return isinstance(code, str) and code in ISO_639_1


def require_language(code: object, what: str = "language") -> str:
    """Return ``code`` if it is a registered ISO 639-1 code, else raise ``invalid``."""
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
