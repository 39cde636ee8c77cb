"""Self-select rounds: nobody is planned, participants pick a room, capacity holds."""

from __future__ import annotations

import pytest

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.model import Member, Placement, Role, RoomDraft, RoomSpec, Strategy
from breakouts.moves import move
from breakouts.rounds import open_round
from breakouts.strategies import STRATEGIES, assign, self_select

from .test_breakouts_fixtures import FLOOR, NOW, PLENARY, by_id, everyone_in_plenary, make_round


def open_self_select(capacity: int | None = 2):
    members = by_id()
    round_ = make_round(
        "self_select", rooms=[RoomDraft("Digital divide", (), capacity), RoomDraft("City Lab")]
    )
    round_, placement, events = open_round(
        round_, everyone_in_plenary(), plenary_id=PLENARY, now=NOW
    )
    return round_, placement, members, events


def test_self_select_plans_nobody() -> None:
    rooms = [RoomSpec("r1", "Room 1")]
    assert self_select([Member("p")], rooms, floor_language=FLOOR).plan == {}


def test_opening_a_self_select_round_moves_nobody() -> None:
    _round, placement, _members, events = open_self_select()
    assert [e.type for e in events] == ["breakout.opened"]
    assert set(placement.values()) == {PLENARY}


def test_participants_choose_until_the_room_is_full_then_get_a_conflict() -> None:
    round_, placement, members, _ = open_self_select(capacity=2)
    room = round_.rooms[0].id
    for pid in ("p01", "p02"):
        placement, events = move(
            placement, round_, members[pid], pid, room, PLENARY, members=members
        )
        assert [e.type for e in events] == ["room.moved"]
    with pytest.raises(BreakoutError) as caught:
        move(placement, round_, members["p03"], "p03", room, PLENARY, members=members)
    assert caught.value.kind is ErrorKind.CONFLICT and "full" in caught.value.detail


def test_a_visiting_moderator_does_not_fill_a_room() -> None:
    round_, placement, members, _ = open_self_select(capacity=1)
    room = round_.rooms[0].id
    placement, _ = move(placement, round_, members["s01"], "s01", room, PLENARY, members=members)
    placement, events = move(
        placement, round_, members["p01"], "p01", room, PLENARY, members=members
    )
    assert placement["p01"] == room and events


def test_participants_may_switch_between_rooms() -> None:
    round_, placement, members, _ = open_self_select(capacity=None)
    first, second = (room.id for room in round_.rooms)
    placement, _ = move(placement, round_, members["p01"], "p01", first, PLENARY)
    placement, events = move(placement, round_, members["p01"], "p01", second, PLENARY)
    assert placement["p01"] == second
    assert events[0].data() == {"person_id": "p01", "from_room": first, "to_room": second}


def test_every_strategy_has_a_function_and_unknown_names_are_invalid() -> None:
    assert set(STRATEGIES) == set(Strategy)
    with pytest.raises(BreakoutError) as caught:
        assign("random", [Member("p")], [RoomSpec("r", "R")], floor_language=FLOOR)
    assert caught.value.kind is ErrorKind.INVALID and "balanced" in caught.value.detail


def test_a_plan_is_only_accepted_for_manual_rounds() -> None:
    with pytest.raises(BreakoutError) as caught:
        assign(
            "balanced", [Member("p")], [RoomSpec("r", "R")], floor_language=FLOOR, plan={"p": "r"}
        )
    assert caught.value.kind is ErrorKind.INVALID


def test_an_observer_never_moves_itself() -> None:
    round_, placement, members, _ = open_self_select()
    with pytest.raises(BreakoutError) as caught:
        move(placement, round_, members["s07"], "s07", round_.rooms[0].id, PLENARY)
    assert caught.value.kind is ErrorKind.FORBIDDEN
    assert members["s07"].role is Role.OBSERVER
    assert isinstance(placement, Placement)
