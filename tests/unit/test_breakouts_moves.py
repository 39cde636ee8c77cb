"""Who may move whom, and where; a refused move changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.model import Member, Placement, Round
from breakouts.moves import move
from breakouts.rounds import begin_close, open_round

from .test_breakouts_fixtures import (
    NOW,
    PLENARY,
    by_id,
    check_event,
    everyone_in_plenary,
    id_factory,
    make_round,
)

MEMBERS = by_id()
MODERATOR, PARTICIPANT, INTERPRETER = MEMBERS["s01"], MEMBERS["p01"], MEMBERS["s03"]


def opened(**options) -> tuple[Round, Placement]:
    round_, placement, _ = open_round(
        make_round(**options), everyone_in_plenary(), plenary_id=PLENARY, now=NOW
    )
    return round_, placement


def test_a_moderator_moves_anyone_anywhere_in_the_session() -> None:
    round_, placement = opened()
    target = next(r.id for r in round_.rooms if r.id != placement["p01"])
    placement, [event] = move(placement, round_, MODERATOR, "p01", target, PLENARY)
    assert placement["p01"] == target
    assert check_event(event) == {
        "person_id": "p01",
        "from_room": round_.plan["p01"],
        "to_room": target,
    }
    placement, _ = move(placement, round_, MODERATOR, "p01", PLENARY, PLENARY)
    placement, _ = move(placement, round_, MODERATOR, "s01", target, PLENARY)  # joins a room
    assert placement["p01"] == PLENARY and placement["s01"] == target


def test_moving_to_the_room_one_is_in_is_a_no_op() -> None:
    round_, placement = opened()
    assert move(placement, round_, PARTICIPANT, "p01", placement["p01"], PLENARY) == (placement, [])


def test_a_participant_returns_to_the_plenary_when_the_round_allows() -> None:
    round_, placement = opened()
    placement, [event] = move(placement, round_, PARTICIPANT, "p01", PLENARY, PLENARY)
    assert placement["p01"] == PLENARY and event.to_room == PLENARY


def test_returning_is_forbidden_when_the_round_does_not_allow_it() -> None:
    round_, placement = opened(allow_return=False)
    with pytest.raises(BreakoutError) as caught:
        move(placement, round_, PARTICIPANT, "p01", PLENARY, PLENARY)
    assert caught.value.kind is ErrorKind.FORBIDDEN and "moderator" in caught.value.detail


@pytest.mark.parametrize(
    ("actor", "person", "why"),
    [
        ("p01", "p02", "Only moderators move other people"),
        ("s03", "s03", "interpreter is placed in rooms by a moderator"),
        ("s07", "p01", "Observers"),
        ("p01", "p01", "self-select"),  # choosing a room in an assigned round
    ],
)
def test_forbidden_moves(actor: str, person: str, why: str) -> None:
    round_, placement = opened()
    target = next(r.id for r in round_.rooms if r.id != placement[person])
    with pytest.raises(BreakoutError) as caught:
        move(placement, round_, MEMBERS[actor], person, target, PLENARY)
    assert caught.value.kind is ErrorKind.FORBIDDEN and caught.value.status == 403
    assert why in caught.value.detail


def test_a_room_of_another_round_or_session_is_not_found() -> None:
    round_, placement = opened()
    other = make_round(round_id="round-2", new_room_id=id_factory("other-"))
    for target in (other.rooms[0].id, "room-of-another-session"):
        with pytest.raises(BreakoutError) as caught:
            move(placement, round_, MODERATOR, "p01", target, PLENARY)
        assert caught.value.kind is ErrorKind.NOT_FOUND and caught.value.status == 404
    with pytest.raises(BreakoutError) as caught:
        move(placement, None, MODERATOR, "p01", round_.rooms[0].id, PLENARY)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_a_person_of_another_session_is_not_found() -> None:
    round_, placement = opened()
    with pytest.raises(BreakoutError) as caught:
        move(placement, round_, MODERATOR, "stranger", PLENARY, PLENARY)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_a_member_who_never_joined_can_be_sent_ahead_by_a_moderator() -> None:
    round_, placement = opened()
    newcomer = Member("p99")
    members = {**MEMBERS, "p99": newcomer}
    target = round_.rooms[0].id
    placement, [event] = move(placement, round_, MODERATOR, "p99", target, PLENARY, members=members)
    assert placement["p99"] == target and event.from_room == PLENARY


def test_rooms_of_a_planned_or_closing_round_are_not_open_for_moves() -> None:
    planned = make_round()
    placement = everyone_in_plenary()
    with pytest.raises(BreakoutError) as caught:
        move(placement, planned, MODERATOR, "p01", planned.rooms[0].id, PLENARY)
    assert caught.value.kind is ErrorKind.CONFLICT
    round_, placement = opened()
    closing, _ = begin_close(round_, now=NOW)
    with pytest.raises(BreakoutError) as caught:
        move(placement, closing, MODERATOR, "s01", closing.rooms[0].id, PLENARY)
    assert caught.value.kind is ErrorKind.CONFLICT
    back, _ = move(placement, closing, PARTICIPANT, "p01", PLENARY, PLENARY)
    assert back["p01"] == PLENARY


def test_a_closed_round_s_rooms_are_gone() -> None:
    round_, placement = opened()
    closed = replace(round_, status="closed")
    with pytest.raises(BreakoutError) as caught:
        move(placement, closed, MODERATOR, "p01", round_.rooms[0].id, PLENARY)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_an_observer_is_not_moved_and_the_refusal_says_why() -> None:
    round_, placement = opened()
    observer = next(m for m in MEMBERS.values() if m.role.value == "observer")
    for target in (round_.rooms[0].id, PLENARY):
        with pytest.raises(BreakoutError) as caught:
            move(placement, round_, MODERATOR, observer.person_id, target, PLENARY, members=MEMBERS)
        assert caught.value.kind is ErrorKind.INVALID
        assert "observer" in caught.value.detail
