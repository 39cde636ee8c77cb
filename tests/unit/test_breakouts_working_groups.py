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
    rooms = [
        RoomSpec("r1", "Digital divide", capacity=1),
        RoomSpec("r2", "Digital literacy", capacity=1),
        RoomSpec("r3", "City Lab collaborations"),
    ]
    # "b" sorts before "z" but lists Digital divide second; "z" chose it first.
    people = [
        Member("a", groups=("Digital literacy", "Digital divide")),
        Member("b", groups=("Digital literacy", "Digital divide")),
        Member("z", groups=("Digital divide",)),
    ]
    plan = working_groups(people, rooms, floor_language=FLOOR).plan
    assert plan == {"a": "r2", "z": "r1", "b": "r3"}


def test_group_names_match_regardless_of_case_and_spacing() -> None:
    rooms = group_rooms()
    person = Member("a", groups=("  city lab   COLLABORATIONS ",))
    assert working_groups([person], rooms, floor_language=FLOOR).plan == {"a": "r5"}


def test_groups_that_are_not_rooms_are_reported_not_spread() -> None:
    rooms = [RoomSpec("r1", "Room 1"), RoomSpec("r2", "Room 2")]
    people = [Member("a", groups=("Digital divide",)), Member("b", groups=("Digital divide",))]
    result = working_groups(people, rooms, floor_language=FLOOR)
    assert result.plan == {}
    assert [u.person_id for u in result.unplaced] == ["a", "b"]
    assert all("'Digital divide'" in u.reason for u in result.unplaced)


def test_when_every_room_is_full_the_rest_are_reported() -> None:
    rooms = [RoomSpec("r1", "Digital divide", capacity=1)]
    people = [Member("a", groups=("Digital divide",)), Member("b")]
    result = working_groups(people, rooms, floor_language=FLOOR)
    assert result.plan == {"a": "r1"}
    assert [u.person_id for u in result.unplaced] == ["b"]


def test_staff_are_not_assigned_even_when_they_list_groups() -> None:
    people = [Member("m", Role.MODERATOR, groups=("Digital divide",))]
    assert working_groups(people, group_rooms(), floor_language=FLOOR).plan == {}


# --- preferences that match no room, Unicode spellings, languages within a group ------

OPTIMISATION = "Public service design optimisation"


def test_a_misspelt_room_leaves_its_people_unplaced_with_the_closest_room_named() -> None:
    """The seed spelt a room "optimization", the registrations "optimisation": the
    people whose choice it was are reported to the moderator, not spread elsewhere."""
    rooms = [
        RoomSpec(room.id, room.name.replace("optimisation", "optimization"))
        for room in group_rooms()
    ]
    members = kickoff_members()
    result = working_groups(members, rooms, floor_language=FLOOR)
    chose_it_first = {
        m.person_id for m in members if m.is_participant and m.groups[:1] == (OPTIMISATION,)
    }
    assert chose_it_first
    assert {u.person_id for u in result.unplaced} == chose_it_first
    assert not chose_it_first & set(result.plan)
    for item in result.unplaced:
        assert OPTIMISATION in item.reason
        assert "Public service design optimization" in item.reason
    assert len(result.plan) + len(result.unplaced) == 38


def test_an_unmatched_later_choice_does_not_matter_once_an_earlier_one_placed_them() -> None:
    rooms = [RoomSpec("r1", "Digital divide")]
    person = Member("a", groups=("Digital divide", "Digital literacy"))
    result = working_groups([person], rooms, floor_language=FLOOR)
    assert result.plan == {"a": "r1"} and result.unplaced == []


def test_an_unmatched_first_choice_is_reported_even_when_a_later_one_matches() -> None:
    rooms = [RoomSpec("r1", "Digital divide"), RoomSpec("r2", "Digital literacy")]
    person = Member("a", groups=("Digital literacy skills", "Digital divide"))
    result = working_groups([person], rooms, floor_language=FLOOR)
    assert result.plan == {}
    (item,) = result.unplaced
    assert "'Digital literacy skills'" in item.reason and "'Digital literacy'" in item.reason


def test_group_names_match_after_unicode_normalisation() -> None:
    composed = "Caf\u00e9 des Villes"  # é as one code point (NFC)
    decomposed = "CAFE\u0301 DES VILLES"  # E + combining acute (NFD), upper case
    rooms = [RoomSpec("r2", "Digital divide"), RoomSpec("r1", composed)]
    result = working_groups([Member("a", groups=(decomposed,))], rooms, floor_language=FLOOR)
    assert result.plan == {"a": "r1"} and result.unplaced == []


def test_someone_who_needs_arabic_goes_to_the_room_of_their_group_that_has_it() -> None:
    rooms = [
        RoomSpec("r1", "Digital divide 1"),
        RoomSpec("r2", "Digital divide 2", ("ar",)),
        RoomSpec("r3", "Digital literacy"),
    ]
    people = [Member(f"{i}", groups=("Digital divide",)) for i in range(4)]
    people += [Member(f"ar{i}", language="ar", groups=("digital divide",)) for i in range(3)]
    result = working_groups(people, rooms, floor_language=FLOOR)
    assert result.unplaced == []
    for i in range(3):
        assert result.plan[f"ar{i}"] == "r2"
    assert {result.plan[str(i)] for i in range(4)} <= {"r1", "r2"}


def test_a_group_s_rooms_may_carry_a_number_or_a_qualifier() -> None:
    rooms = [
        RoomSpec("r3", "City Lab"),
        RoomSpec("r1", "City Lab collaborations (English)"),
        RoomSpec("r2", "City Lab collaborations - Arabic", ("ar",)),
    ]
    people = [Member("a", groups=("City Lab collaborations",))]
    people += [Member("b", language="ar", groups=("City Lab collaborations",))]
    result = working_groups(people, rooms, floor_language=FLOOR)
    assert result.plan == {"a": "r1", "b": "r2"}
