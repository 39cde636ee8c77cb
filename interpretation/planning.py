"""Which interpreters go to which breakout room when a round opens.

Coverage comes first (as many language rooms as possible get one interpreter:
a bipartite matching, since one interpreter may serve several booths), then
partners: while spare interpreters remain, each language room gets a second
one; when every room of a language has its pair, the pairs are formed of
interpreters with the same directions, so booths that work together stay
together.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .languages import Interpreter


class BoothPlan(NamedTuple):
    assignments: dict[str, list[str]]
    uncovered: list[tuple[str, str]]


def plan_booths(
    rooms: Iterable[tuple[str, Iterable[str]]],
    interpreters: Iterable[Interpreter],
    *,
    floor_language: str | None = None,
    per_channel: int = 2,
) -> BoothPlan:
    """``rooms`` are ``(room_id, languages)``; the floor language needs no booth.

    Returns ``room_id -> [person_id]`` (every room listed, maybe empty) and the
    ``(room_id, language)`` pairs nobody can cover. Interpreters not needed are
    left out (they stay where the round's strategy puts them).
    """
    room_list = [(room_id, list(dict.fromkeys(langs))) for room_id, langs in rooms]
    pool = {i.person_id: i for i in sorted(interpreters, key=lambda i: i.person_id)}
    demands = [
        (room_id, lang) for room_id, langs in room_list for lang in langs if lang != floor_language
    ]

    def preference(pid: str, lang: str) -> tuple[bool, int, str]:
        interpreter = pool[pid]
        direct = floor_language is None or interpreter.can(floor_language, lang)
        return (not direct, len(interpreter.targets), pid)

    candidates = {
        demand: sorted(
            (pid for pid, i in pool.items() if i.works_into(demand[1])),
            key=lambda pid, lang=demand[1]: preference(pid, lang),
        )
        for demand in demands
    }

    # 1. Coverage: maximum matching (Kuhn's augmenting paths), demands in order.
    holder: dict[str, tuple[str, str]] = {}

    def augment(demand: tuple[str, str], seen: set[str]) -> bool:
        free = next((pid for pid in candidates[demand] if pid not in holder), None)
        if free is not None:
            holder[free] = demand
            return True
        for pid in candidates[demand]:
            if pid in seen:
                continue
            seen.add(pid)
            if pid not in holder or augment(holder[pid], seen):
                holder[pid] = demand
                return True
        return False

    for demand in demands:
        augment(demand, set())
    crews: dict[tuple[str, str], list[str]] = {d: [] for d in demands}
    for pid, demand in holder.items():
        crews[demand].append(pid)

    # 2. Partners, round by round, while someone spare can join.
    for _ in range(per_channel - 1):
        for demand in demands:
            crew = crews[demand]
            if not crew:
                continue
            spare = [pid for pid in candidates[demand] if pid not in holder]
            if not spare:
                continue
            profile = pool[crew[0]].directions
            pick = min(
                spare,
                key=lambda pid: (pool[pid].directions != profile, candidates[demand].index(pid)),
            )
            holder[pick] = demand
            crew.append(pick)

    # 3. Full crews of one language are re-formed so that like profiles sit together.
    for lang in dict.fromkeys(lang for _room, lang in demands):
        full = [d for d in demands if d[1] == lang and len(crews[d]) == per_channel]
        members = sorted(
            (pid for d in full for pid in crews[d]),
            key=lambda pid: (pool[pid].directions, pid),
        )
        for i, demand in enumerate(full):
            crews[demand] = members[i * per_channel : (i + 1) * per_channel]

    assignments: dict[str, list[str]] = {room_id: [] for room_id, _ in room_list}
    for (room_id, _lang), crew in crews.items():
        assignments[room_id].extend(crew)
    uncovered = [demand for demand in demands if not crews[demand]]
    return BoothPlan(assignments, uncovered)
