"""Adjusting a plan before opening: moderators move one person or exchange two."""

from __future__ import annotations

import pytest

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.model import RoomDraft
from breakouts.planning import apply_plan, plan_exchange, plan_move
from breakouts.rounds import open_round
from breakouts.views import round_view

from .test_breakouts_fixtures import (
    NOW,
    PLENARY,
    check_event,
    everyone_in_plenary,
    kickoff_members,
    make_round,
)


def test_moving_a_planned_person_tells_moderators_what_changed() -> None:
    round_ = make_round()
    before = round_.plan["p01"]
    target = next(r.id for r in round_.rooms if r.id != before)
    edited, [event] = plan_move(round_, "p01", target, kickoff_members())
    assert edited.plan["p01"] == target and round_.plan["p01"] == before
    assert event.audience == ("moderators",)
    assert check_event(event)["changes"] == [
        {"person_id": "p01", "from_room": before, "to_room": target}
    ]


def test_moving_to_none_keeps_them_in_the_plenary() -> None:
    edited, _ = plan_move(make_round(), "p01", None, kickoff_members())
    assert "p01" not in edited.plan


def test_moving_to_the_same_room_changes_nothing() -> None:
    round_ = make_round()
    assert plan_move(round_, "p01", round_.plan["p01"], kickoff_members()) == (round_, [])


def test_exchanging_two_people_swaps_their_rooms() -> None:
    round_ = make_round()
    a, b = round_.plan["p01"], round_.plan["p02"]
    assert a != b
    edited, [event] = plan_exchange(round_, "p01", "p02", kickoff_members())
    assert (edited.plan["p01"], edited.plan["p02"]) == (b, a)
    assert len(event.data()["changes"]) == 2


def test_exchanging_with_someone_in_the_plenary_moves_them_in() -> None:
    round_, _ = plan_move(make_round(), "p02", None, kickoff_members())
    room = round_.plan["p01"]
    edited, _ = plan_exchange(round_, "p01", "p02", kickoff_members())
    assert edited.plan["p02"] == room and "p01" not in edited.plan


def test_placing_an_unplaced_person_by_hand_clears_them_from_unplaced() -> None:
    round_ = make_round("by_language", rooms=[RoomDraft("A", ("ru",)), RoomDraft("B")])
    person = round_.unplaced[0].person_id
    edited, [event] = plan_move(round_, person, round_.rooms[1].id, kickoff_members())
    assert person not in {u.person_id for u in edited.unplaced}
    assert len(edited.unplaced) == len(round_.unplaced) - 1
    assert len(event.data()["unplaced"]) == len(edited.unplaced)


def test_apply_plan_can_replace_the_whole_plan() -> None:
    round_ = make_round()
    room = round_.rooms[0].id
    edited, [event] = apply_plan(round_, {"p01": room}, kickoff_members(), replace_all=True)
    assert edited.plan == {"p01": room}
    assert len(event.data()["changes"]) >= 37


@pytest.mark.parametrize(
    ("person", "room", "kind"),
    [
        ("nobody", None, ErrorKind.NOT_FOUND),
        ("p01", "room-of-another-round", ErrorKind.NOT_FOUND),
        ("s03", None, ErrorKind.INVALID),  # an interpreter
    ],
)
def test_bad_plan_edits_are_refused_and_change_nothing(
    person: str, room: str | None, kind: ErrorKind
) -> None:
    round_ = make_round()
    with pytest.raises(BreakoutError) as caught:
        plan_move(round_, person, room, kickoff_members())
    assert caught.value.kind is kind
    assert round_ == make_round()


def test_the_round_view_lists_planned_members_then_present_ones() -> None:
    round_ = make_round()
    view = round_view(round_)
    assert view["status"] == "planned"
    assert sum(len(room["members"]) for room in view["rooms"]) == 38
    opened, placement, _ = open_round(round_, everyone_in_plenary(), plenary_id=PLENARY, now=NOW)
    placement = placement.moved({"p01": PLENARY, "s01": opened.rooms[0].id})
    live = round_view(opened, placement)
    members = {pid for room in live["rooms"] for pid in room["members"]}
    assert "p01" not in members and "s01" in members and live["ends_at"] is None
