"""The balanced strategy: rooms of even size, only participants counted, same plan every time."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from breakouts.model import Member, Role, RoomSpec
from breakouts.strategies import balanced

from .test_breakouts_fixtures import FLOOR, kickoff_members


def rooms(count: int, capacity: int | None = None) -> list[RoomSpec]:
    return [RoomSpec(f"r{i}", f"Room {i}", (), capacity) for i in range(1, count + 1)]


def sizes(plan: dict[str, str]) -> list[int]:
    return sorted(Counter(plan.values()).values())


def test_38_kickoff_participants_in_five_rooms_are_8_8_8_7_7() -> None:
    result = balanced(kickoff_members(), rooms(5), floor_language=FLOOR)
    assert sizes(result.plan) == [7, 7, 8, 8, 8]
    assert result.unplaced == []


def test_moderators_interpreters_and_observers_are_neither_counted_nor_moved() -> None:
    members = kickoff_members()
    result = balanced(members, rooms(5), floor_language=FLOOR)
    staff = {m.person_id for m in members if m.role is not Role.PARTICIPANT}
    assert staff and not staff & result.plan.keys()
    assert len(result.plan) == 38


def test_the_plan_does_not_depend_on_the_order_people_are_listed_in() -> None:
    members = kickoff_members()
    shuffled = members[:]
    random.Random(7).shuffle(shuffled)
    assert balanced(shuffled, rooms(5), floor_language=FLOOR) == balanced(
        members, rooms(5), floor_language=FLOOR
    )


def test_offline_participants_are_planned_too() -> None:
    members = kickoff_members()
    offline = {m.person_id for m in members if m.is_participant and not m.online}
    assert offline <= balanced(members, rooms(5), floor_language=FLOOR).plan.keys()


def test_full_rooms_leave_the_rest_unplaced_with_a_reason() -> None:
    people = [Member(f"p{i}") for i in range(7)]
    result = balanced(people, rooms(2, capacity=3), floor_language=FLOOR)
    assert sizes(result.plan) == [3, 3]
    assert [u.person_id for u in result.unplaced] == ["p6"]
    assert "full" in result.unplaced[0].reason


def test_no_participants_gives_an_empty_plan() -> None:
    result = balanced([Member("m", Role.MODERATOR)], rooms(3), floor_language=FLOOR)
    assert result.plan == {} and result.unplaced == []


@settings(max_examples=150, deadline=None)
@given(people=st.integers(0, 120), room_count=st.integers(1, 30))
def test_sizes_differ_by_at_most_one_and_everyone_is_placed(people: int, room_count: int) -> None:
    members = [Member(f"p{i:03d}") for i in range(people)]
    members += [Member(f"m{i}", Role.MODERATOR) for i in range(3)]
    result = balanced(members, rooms(room_count), floor_language=FLOOR)
    counts = [list(result.plan.values()).count(f"r{i}") for i in range(1, room_count + 1)]
    assert max(counts) - min(counts) <= 1
    assert set(result.plan) == {f"p{i:03d}" for i in range(people)}
