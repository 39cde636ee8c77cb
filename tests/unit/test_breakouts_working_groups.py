"""The working-groups strategy: people land in the group they registered for first."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from breakouts.groups import registered_groups, rooms_of_group
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


# --- properties over any rooms and registrations -----------------------------------

_SPELLINGS = (*GROUPS, "Public service design optimization", "digital  DIVIDE", "City Lab")
_ROOM_NAMES = st.sampled_from(
    [name for group in GROUPS for name in (group, f"{group} 2", f"{group} (Arabic)")]
)


@st.composite
def rounds_and_people(draw):
    names = draw(st.lists(_ROOM_NAMES, min_size=1, max_size=6, unique_by=str.casefold))
    rooms = [
        RoomSpec(
            f"r{i}",
            name,
            tuple(draw(st.sets(st.sampled_from(("ar", "ru"))))),
            draw(st.none() | st.integers(1, 4)),
        )
        for i, name in enumerate(names)
    ]
    people = [
        Member(
            f"p{i:02}",
            language=draw(st.sampled_from((None, "en", "ar", "ru"))),
            groups=tuple(draw(st.lists(st.sampled_from(_SPELLINGS), max_size=3))),
        )
        for i in range(draw(st.integers(0, 14)))
    ]
    return rooms, people


@settings(max_examples=80, deadline=None)
@given(rounds_and_people())
def test_working_groups_never_hides_a_choice_or_splits_a_language_from_its_group(data) -> None:
    rooms, people = data
    by_id = {room.id: room for room in rooms}
    result = working_groups(people, rooms, floor_language=FLOOR)
    unplaced = {u.person_id: u.reason for u in result.unplaced}
    registered = registered_groups(people)
    # everyone is planned or reported, never both, and capacities hold
    assert set(result.plan) | set(unplaced) == {m.person_id for m in people}
    assert not set(result.plan) & set(unplaced)
    for room_id, n in Counter(result.plan.values()).items():
        assert by_id[room_id].capacity is None or n <= by_id[room_id].capacity
    for member in people:
        first = member.groups[0] if member.groups else None
        if first is not None and not rooms_of_group(first, rooms, registered):
            assert member.person_id in unplaced  # a first choice that is no room: reported
            assert "the closest room name is" in unplaced[member.person_id]
        room = by_id.get(result.plan.get(member.person_id, ""))
        if room is None or member.language not in ("ar", "ru"):
            continue
        for group in member.groups:
            group_rooms_ = rooms_of_group(group, rooms, registered)
            if room in group_rooms_ and any(member.language in r.languages for r in group_rooms_):
                assert member.language in room.languages, (member, room)


def test_a_room_named_exactly_as_a_registered_group_belongs_to_that_group_only() -> None:
    rooms = [RoomSpec("r1", "City Lab - collaborations"), RoomSpec("r2", "City Lab")]
    people = [Member(f"a{i}", groups=("City Lab",)) for i in range(3)]
    people += [Member("b", groups=("City Lab - collaborations",))]
    result = working_groups(people, rooms, floor_language=FLOOR)
    assert result.plan == {"a0": "r2", "a1": "r2", "a2": "r2", "b": "r1"}
