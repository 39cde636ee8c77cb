"""Where each channel's audio comes from: the one routing rule of a room.

A media server follows these sources. ``compute_sources`` is the only place the
rule lives; every transition stores its result. The property tests check the
stored sources against the rule's properties (the floor channel is the floor, an
interpreter hears the floor, a relay hears a channel interpreted from the floor,
nothing uncovered that could be covered), not against this function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .languages import Interpreter

SourceKind = Literal["floor", "interpreter", "relay"]


@dataclass(frozen=True)
class Source:
    """``floor``: the room itself; ``interpreter``: the live interpreter hears the
    floor in ``language``; ``relay``: they hear the channel ``language`` (pivot)."""

    kind: SourceKind
    language: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "language": self.language}


def compute_sources(
    floor_language: str,
    channels: Iterable[str],
    live: Mapping[str, Interpreter],
    *,
    pivot: str | None = None,
) -> dict[str, Source | None]:
    """Source of every channel of one room.

    - the channel of the language spoken on the floor carries the floor;
    - a channel whose live interpreter has ``floor>lang`` interprets directly;
    - otherwise it relays from a channel that is interpreted directly and whose
      language the live interpreter hears (``other>lang``), preferring ``pivot``
      (the event's floor-language channel, which carries the retour), then the
      alphabetically first language: one hop at most, never a relay of a relay
      (each hop adds delay and loses meaning), so never a loop;
    - otherwise ``None``: the channel is uncovered.
    """
    languages = list(dict.fromkeys(channels))
    sources: dict[str, Source | None] = dict.fromkeys(languages)
    if floor_language in sources:
        sources[floor_language] = Source("floor", floor_language)
    direct = []
    for language in languages:
        interpreter = live.get(language)
        if language == floor_language or interpreter is None:
            continue
        if interpreter.can(floor_language, language):
            sources[language] = Source("interpreter", floor_language)
            direct.append(language)
    for language in languages:
        interpreter = live.get(language)
        if sources[language] is not None or interpreter is None:
            continue
        heard = [other for other in direct if interpreter.can(other, language)]
        if heard:
            sources[language] = Source("relay", min(heard, key=lambda o: (o != pivot, o)))
    return sources
