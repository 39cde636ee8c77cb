"""Assignment strategies: who goes to which room when a round is planned.

Each strategy is a pure function ``(members, rooms, *, floor_language) ->
Assignment``. Only participants are assigned: moderators and observers are
not moved, interpreters are placed by the interpretation rules. People are
taken in person-id order so that the same input always gives the same plan.
Whoever cannot be placed correctly is listed in ``unplaced`` with a reason,
never put somewhere wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .assignment_csv import parse_assignment_csv
from .errors import invalid, not_found
from .groups import registered_groups, rooms_of_group, unmatched_reason
from .language_names import describe
from .model import (
    Assignment,
    Member,
    RoomSpec,
    Strategy,
    Unplaced,
    index_members,
    normalise_name,
)
from .room_fill import RoomFill
from .wording import with_article

StrategyFunction = Callable[..., Assignment]


def participants(members: Iterable[Member]) -> list[Member]:
    """The people strategies assign, in a stable order (by person id)."""
    return sorted((m for m in members if m.is_participant), key=lambda m: m.person_id)


def needed_language(member: Member, floor_language: str | None) -> str | None:
    """The language a person needs a room to carry, or None if the floor will do."""
    if not member.language:
        return None
    if floor_language and member.language.casefold() == floor_language.casefold():
        return None
    return member.language


def rooms_carrying(rooms: Iterable[RoomSpec], language: str) -> list[RoomSpec]:
    wanted = language.casefold()
    return [room for room in rooms if any(lang.casefold() == wanted for lang in room.languages)]


def _full_reason(rooms: Sequence[RoomSpec]) -> str:
    return (
        f"every room is full ({len(rooms)} rooms); raise a room's capacity "
        "or add a room, then place them by hand"
    )


def _language_reason(language: str, eligible: Sequence[RoomSpec]) -> str:
    if not eligible:
        return (
            f"no room carries {describe(language)}; add {language} to a room's languages "
            "or place them by hand"
        )
    return (
        f"every room that carries {describe(language)} is full; raise its capacity "
        "or place them by hand"
    )


def balanced(
    members: Iterable[Member], rooms: Sequence[RoomSpec], *, floor_language: str | None = None
) -> Assignment:
    """Room sizes differ by at most one (as far as capacities allow)."""
    fill = RoomFill(rooms)
    return _place_each(participants(members), lambda m: (fill.pick(), _full_reason(rooms)), fill)


Choice = Callable[[Member], tuple[RoomSpec | None, str]]


def _place_each(
    people: Iterable[Member],
    choose: Choice,
    fill: RoomFill,
    plan: dict[str, str] | None = None,
    unplaced: list[Unplaced] | None = None,
) -> Assignment:
    """Each person in turn into the room ``choose`` gives them (None: unplaced, with the
    reason it gives), adding to what earlier passes planned; unplaced by person id."""
    plan = {} if plan is None else plan
    unplaced = [] if unplaced is None else unplaced
    for member in people:
        room, reason = choose(member)
        if room is None:
            unplaced.append(Unplaced(member.person_id, reason))
            continue
        fill.put(room)
        plan[member.person_id] = room.id
    unplaced.sort(key=lambda item: item.person_id)
    return Assignment(plan, unplaced)


def language_choice(
    member: Member, rooms: Sequence[RoomSpec], fill: RoomFill, floor_language: str | None
) -> tuple[RoomSpec | None, str]:
    """The by-language room for one person, or None with the reason."""
    language = needed_language(member, floor_language)
    if language is None:
        return fill.pick(), _full_reason(rooms)
    eligible = rooms_carrying(rooms, language)
    return fill.pick(eligible), _language_reason(language, eligible)


def by_language(
    members: Iterable[Member], rooms: Sequence[RoomSpec], *, floor_language: str | None
) -> Assignment:
    """Who needs a language other than the floor's goes only where it is carried.

    The most constrained people are placed first (fewest eligible rooms), then
    floor-language people fill the rooms up to balance.
    """
    people = participants(members)

    def eligible_count(member: Member) -> int:
        language = needed_language(member, floor_language)
        return len(rooms) + 1 if language is None else len(rooms_carrying(rooms, language))

    people.sort(key=eligible_count)  # stable: person-id order within equal counts
    fill = RoomFill(rooms)
    return _place_each(people, lambda m: language_choice(m, rooms, fill, floor_language), fill)


@dataclass(frozen=True)
class Preference:
    """One registered working group of a person, and the rooms it may put them in
    (none: no room has that name, the moderator decides)."""

    group: str
    rooms: tuple[RoomSpec, ...]


def for_language(member: Member, rooms: Sequence[RoomSpec], floor_language: str | None):
    """Of ``rooms``, those that carry the language the person needs, if any does."""
    language = needed_language(member, floor_language)
    carrying = rooms_carrying(rooms, language) if language else []
    return carrying or list(rooms)


def preferences(
    member: Member,
    rooms: Sequence[RoomSpec],
    floor_language: str | None,
    registered: Collection[str] = (),
) -> list[Preference]:
    """The member's working groups in preference order, each with its usable rooms
    (``registered``: every group anyone registered for, see ``rooms_of_group``)."""
    found: list[Preference] = []
    seen: set[str] = set()
    for group in member.groups:
        key = normalise_name(group)
        if not key or key in seen:
            continue
        seen.add(key)
        usable = for_language(member, rooms_of_group(group, rooms, registered), floor_language)
        found.append(Preference(group, tuple(usable)))
    return found


def leftover_choice(
    member: Member, rooms: Sequence[RoomSpec], fill: RoomFill, floor_language: str | None
) -> tuple[RoomSpec | None, str]:
    """For someone no group of theirs can take: the least filled room, among those
    that carry the language they need when any does."""
    language = needed_language(member, floor_language)
    carrying = rooms_carrying(rooms, language) if language else []
    if carrying:
        return fill.pick(carrying), _language_reason(language, carrying)
    return fill.pick(), _full_reason(rooms)


def group_choice(
    member: Member,
    rooms: Sequence[RoomSpec],
    fill: RoomFill,
    floor_language: str | None,
    registered: Collection[str] = (),
) -> tuple[RoomSpec | None, str]:
    """One person's working-groups room (a latecomer's), or None with the reason."""
    for rank, preference in enumerate(preferences(member, rooms, floor_language, registered)):
        if not preference.rooms:
            return None, unmatched_reason(preference.group, rank, rooms)
        room = fill.pick(preference.rooms)
        if room is not None:
            return room, ""
    return leftover_choice(member, rooms, fill, floor_language)


def working_groups(
    members: Iterable[Member], rooms: Sequence[RoomSpec], *, floor_language: str | None = None
) -> Assignment:
    """Registered working groups decide; first choices are served before second ones.

    Within a group, someone who needs a language goes to a room of the group that
    carries it, when one does. A choice that matches no room stops that person:
    they are unplaced, with the closest room name, unless an earlier choice
    placed them. People with no group, or whose groups are all full, are then
    balanced across the rooms (those carrying their language, if any does).
    """
    people = participants(members)
    registered = registered_groups(people)
    prefs = {m.person_id: preferences(m, rooms, floor_language, registered) for m in people}
    fill = RoomFill(rooms)
    plan: dict[str, str] = {}
    unplaced: list[Unplaced] = []
    stopped: set[str] = set()
    deepest = max((len(p) for p in prefs.values()), default=0)
    for rank in range(deepest):
        for member in people:
            pid = member.person_id
            choices = prefs[pid]
            if pid in plan or pid in stopped or rank >= len(choices):
                continue
            if not choices[rank].rooms:
                stopped.add(pid)
                unplaced.append(Unplaced(pid, unmatched_reason(choices[rank].group, rank, rooms)))
                continue
            room = fill.pick(choices[rank].rooms)
            if room is not None:
                fill.put(room)
                plan[pid] = room.id
    left = [m for m in people if m.person_id not in plan and m.person_id not in stopped]
    return _place_each(
        left, lambda m: leftover_choice(m, rooms, fill, floor_language), fill, plan, unplaced
    )


def check_plan(
    plan: Mapping[str, str],
    members: Iterable[Member] | Mapping[str, Member],
    rooms: Sequence[RoomSpec],
) -> dict[str, str]:
    """A moderator-given plan, checked: known participants into rooms of this round."""
    by_id = index_members(members)
    room_ids = {room.id for room in rooms}
    for person_id, room_id in plan.items():
        member = by_id.get(person_id)
        if member is None:
            raise not_found(f"Person {person_id} is not in this session; plan only its members.")
        if not member.is_participant:
            raise invalid(
                f"{member.name or person_id} is {with_article(member.role.value)}; "
                "only participants are planned into rooms "
                "(moderators and interpreters move with /moves)."
            )
        if room_id not in room_ids:
            raise not_found(f"Room {room_id} is not a room of this round; use one of its rooms.")
    return dict(plan)


def manual(
    members: Iterable[Member],
    rooms: Sequence[RoomSpec],
    *,
    floor_language: str | None = None,
    plan: Mapping[str, str] | None = None,
) -> Assignment:
    """The moderator assigns; until then everyone stays in the plenary."""
    return Assignment(check_plan(plan or {}, members, rooms), [])


def self_select(
    members: Iterable[Member], rooms: Sequence[RoomSpec], *, floor_language: str | None = None
) -> Assignment:
    """Nobody is planned: participants pick a room themselves once it opens."""
    return Assignment({}, [])


STRATEGIES: dict[Strategy, StrategyFunction] = {
    Strategy.BALANCED: balanced,
    Strategy.BY_LANGUAGE: by_language,
    Strategy.WORKING_GROUPS: working_groups,
    Strategy.MANUAL: manual,
    Strategy.SELF_SELECT: self_select,
}


def parse_strategy(name: str | Strategy) -> Strategy:
    try:
        return Strategy(name)
    except ValueError:
        choices = ", ".join(s.value for s in Strategy)
        raise invalid(f"Unknown strategy {name!r}; use one of: {choices}.") from None


def assign(
    strategy: str | Strategy,
    members: Iterable[Member],
    rooms: Sequence[RoomSpec],
    *,
    floor_language: str | None,
    plan: Mapping[str, str] | None = None,
) -> Assignment:
    """Run the named strategy; a ``plan`` is only accepted for ``manual``."""
    chosen = parse_strategy(strategy)
    if chosen is Strategy.MANUAL:
        return manual(members, rooms, floor_language=floor_language, plan=plan)
    if plan:
        raise invalid(
            f"A plan can only be given with the manual strategy, not {chosen.value}; "
            "create the round, then edit its plan."
        )
    return STRATEGIES[chosen](list(members), rooms, floor_language=floor_language)


__all__ = [
    "STRATEGIES",
    "assign",
    "balanced",
    "by_language",
    "check_plan",
    "group_choice",
    "language_choice",
    "manual",
    "parse_assignment_csv",
    "parse_strategy",
    "participants",
    "preferences",
    "self_select",
    "working_groups",
]
