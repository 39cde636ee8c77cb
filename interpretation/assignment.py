"""Who of the live interpreters speaks on which channel after a room's floor changes.

The contract ("Channels after a floor change"): only those who were live stay
live, reassigned among themselves so that as many listened channels as possible
have a source (the floor, or one relay hop from a channel an interpreter takes
from the floor), preferring their current channel. ``assign_live`` is that rule;
``floor`` applies it. A room has a handful of channels and live interpreters, and
each interpreter works into one or two of them, so an exhaustive search is cheap
and gives the best assignment, not a greedy guess.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from .languages import Interpreter
from .sources import compute_sources


def assign_live(
    floor_language: str,
    channels: Sequence[str],
    live: Mapping[str, tuple[str, Interpreter]],
    listened: Collection[str],
    *,
    pivot: str | None = None,
) -> dict[str, str]:
    """``person_id -> channel language`` for the interpreters in ``live``
    (``person_id -> (current channel, interpreter)``); those left out go off air.

    Everyone placed has a source under ``compute_sources``. Among all such
    assignments the best has, in order: the most ``listened`` channels with a
    source, the most interpreters on air, the most on their current channel, then
    channels earlier in ``channels`` (the event floor language first) for the
    interpreters in id order.
    """
    order = {lang: i for i, lang in enumerate(channels)}
    people = sorted(live)
    options = [
        [lang for lang in channels if lang != floor_language and live[pid][1].works_into(lang)]
        for pid in people
    ]
    best: tuple | None = None
    chosen: dict[str, str] = {}
    taken: dict[str, str] = {}  # channel -> person_id

    def score() -> tuple | None:
        speakers = {lang: live[pid][1] for lang, pid in taken.items()}
        sources = compute_sources(floor_language, channels, speakers, pivot=pivot)
        if any(sources[lang] is None for lang in taken):
            return None  # someone would be live with nothing to interpret
        covered = sum(1 for lang in listened if lang in sources and sources[lang] is not None)
        staying = sum(1 for pid, lang in chosen.items() if live[pid][0] == lang)
        places = tuple(-order.get(chosen.get(pid, ""), len(order)) for pid in people)
        return (covered, len(chosen), staying, places)

    def search(i: int) -> None:
        nonlocal best
        if i == len(people):
            found = score()
            if found is not None and (best is None or found > best[0]):
                best = (found, dict(chosen))
            return
        pid = people[i]
        for lang in options[i]:
            if lang in taken:
                continue
            taken[lang], chosen[pid] = pid, lang
            search(i + 1)
            del taken[lang], chosen[pid]
        search(i + 1)  # off air

    search(0)
    return best[1] if best is not None else {}
