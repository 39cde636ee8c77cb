"""The working-groups strategy: people land in the group they registered for first."""

from __future__ import annotations

from collections import Counter

from breakouts.model import Member, Role, RoomSpec
from breakouts.strategies import working_groups

from .test_breakouts_fixtures import FLOOR, GROUPS, kickoff_members


def group_rooms(capacity: int | None = None) -> list[RoomSpec]:
    return [RoomSpec(f"r{i}", name, (), capacity) for i, name in enumerate(GROUPS, start=1)]


def test_everyone_gets_their_first_registered_group_when_rooms_are_unlimited() -> None:
    members = kickoff_members()
    rooms = {room.name: room.id for room in group_rooms()}
    result = working_groups(members, group_rooms(), floor_language=FLOOR)
    for member in members:
        if member.is_participant and member.groups:
            assert result.plan[member.person_id] == rooms[member.groups[0]]
    assert len(result.plan) == 38 and result.unplaced == []


def test_people_without_a_group_are_balanced_across_rooms() -> None:
    rooms = [RoomSpec("r1", "Digital divide"), RoomSpec("r2", "Digital literacy")]
    people = [Member("a", groups=("Digital divide",)), Member("b", groups=("Digital divide",))]
    people += [Member(f"x{i}") for i in range(4)]
    result = working_groups(people, rooms, floor_language=FLOOR)
    assert Counter(result.plan.values()) == {"r1": 3, "r2": 3}
    assert result.plan["a"] == result.plan["b"] == "r1"


def test_a_full_first_choice_sends_people_to_their_second() -> None:
    rooms = [
        RoomSpec("r1", "Digital divide", capacity=1),
        RoomSpec("r2", "City Lab collaborations"),
    ]
    people = [
        Member("a", groups=("Digital divide", "City Lab collaborations")),
        Member("b", groups=("Digital divide", "City Lab collaborations")),
    ]
    assert working_groups(people, rooms, floor_language=FLOOR).plan == {"a": "r1", "b": "r2"}


def test_first_choices_are_served_before_anyone_s_second_choice() -> None:
    rooms = [RoomSpec("r1", "Digital divide", capacity=1), RoomSpec("r2", "Digital literacy")]
    # "a" sorts first but only lists Digital divide second; "z" chose it first.
    people = [
        Member("a", groups=("Unknown group", "Digital literacy", "Digital divide")),
        Member("z", groups=("Digital divide",)),
    ]
    assert working_groups(people, rooms, floor_language=FLOOR).plan == {"a": "r2", "z": "r1"}


def test_group_names_match_regardless_of_case_and_spacing() -> None:
    rooms = group_rooms()
    person = Member("a", groups=("  city lab   COLLABORATIONS ",))
    assert working_groups([person], rooms, floor_language=FLOOR).plan == {"a": "r5"}


def test_groups_that_are_not_rooms_fall_back_to_balance() -> None:
    rooms = [RoomSpec("r1", "Room 1"), RoomSpec("r2", "Room 2")]
    people = [Member("a", groups=("Digital divide",)), Member("b", groups=("Digital divide",))]
    assert Counter(working_groups(people, rooms, floor_language=FLOOR).plan.values()) == {
        "r1": 1,
        "r2": 1,
    }


def test_when_every_room_is_full_the_rest_are_reported() -> None:
    rooms = [RoomSpec("r1", "Digital divide", capacity=1)]
    people = [Member("a", groups=("Digital divide",)), Member("b")]
    result = working_groups(people, rooms, floor_language=FLOOR)
    assert result.plan == {"a": "r1"}
    assert [u.person_id for u in result.unplaced] == ["b"]


def test_staff_are_not_assigned_even_when_they_list_groups() -> None:
    people = [Member("m", Role.MODERATOR, groups=("Digital divide",))]
    assert working_groups(people, group_rooms(), floor_language=FLOOR).plan == {}
