"""Who of the live interpreters speaks on which channel after a room's floor changes.

The contract ("Channels after a floor change"): only those who were live stay
live, reassigned among themselves so that as many listened channels as possible
have a source (the floor, or one relay hop from a channel an interpreter takes
from the floor), preferring their current channel. ``assign_live`` is that rule;
``floor`` applies it. A room has a handful of channels and live interpreters, and
each interpreter works into one or two of them, so a branch-and-bound search over
every assignment is cheap and gives the best one, not a greedy guess. Its node
budget only bites in rooms no event has (ten live interpreters who each work into
every language); there it returns the best assignment found so far.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from .languages import Interpreter
from .sources import compute_sources

SEARCH_BUDGET = 200_000  # search nodes; a plenary of 10 languages needs a few thousand


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
    interpreters = {pid: live[pid][1] for pid in people}
    options = {pid: _useful(pid, floor_language, channels, interpreters) for pid in people}
    for pid in people:  # their own channel first: a good answer early prunes the rest
        options[pid].sort(key=lambda lang, pid=pid: (lang != live[pid][0], order[lang]))
    wanted = set(listened) & set(channels)
    best: list = [None, {}]  # [score, assignment]
    chosen: dict[str, str] = {}
    taken: dict[str, str] = {}  # channel -> person_id
    budget = [SEARCH_BUDGET]

    def score() -> tuple | None:
        speakers = {lang: interpreters[pid] for lang, pid in taken.items()}
        sources = compute_sources(floor_language, channels, speakers, pivot=pivot)
        if any(sources[lang] is None for lang in taken):
            return None  # someone would be live with nothing to interpret
        covered = sum(1 for lang in wanted if sources[lang] is not None)
        staying = sum(1 for pid, lang in chosen.items() if live[pid][0] == lang)
        places = tuple(-order.get(chosen.get(pid, ""), len(order)) for pid in people)
        return (covered, len(chosen), staying, places)

    def bound(i: int) -> tuple[int, int, int]:
        """What the rest of the search could reach at most (score's first three)."""
        rest = people[i:]
        reachable = {floor_language, *taken, *(lang for pid in rest for lang in options[pid])}
        staying = sum(1 for pid, lang in chosen.items() if live[pid][0] == lang)
        return (len(wanted & reachable), len(chosen) + len(rest), staying + len(rest))

    def search(i: int) -> None:
        budget[0] -= 1
        if budget[0] < 0 or (best[0] is not None and bound(i) < best[0][:3]):
            return
        if i == len(people):
            found = score()
            if found is not None and (best[0] is None or found > best[0]):
                best[0], best[1] = found, dict(chosen)
            return
        pid = people[i]
        for lang in options[pid]:
            if lang in taken:
                continue
            taken[lang], chosen[pid] = pid, lang
            search(i + 1)
            del taken[lang], chosen[pid]
        search(i + 1)  # off air

    search(0)
    return best[1]


def _useful(
    pid: str, floor_language: str, channels: Sequence[str], interpreters: Mapping[str, Interpreter]
) -> list[str]:
    """The channels ``pid`` could have a source on: from the floor, or relaying a
    channel someone else could interpret from the floor."""
    me = interpreters[pid]
    direct_by_others = {
        lang
        for other, i in interpreters.items()
        if other != pid
        for lang in channels
        if lang != floor_language and i.can(floor_language, lang)
    }
    return [
        lang
        for lang in channels
        if lang != floor_language
        and (me.can(floor_language, lang) or any(me.can(h, lang) for h in direct_by_others))
    ]
