"""Round transition table, walked exhaustively: every action is allowed or is a
conflict that changes nothing."""

from __future__ import annotations

import itertools

import pytest

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.model import Round, RoundStatus
from breakouts.planning import plan_move
from breakouts.rounds import (
    begin_close,
    cancel_close,
    cancel_round,
    extend_round,
    finish_close,
    open_round,
    recreate_round,
)
from breakouts.transitions import TRANSITIONS, Action

from .test_breakouts_fixtures import (
    NOW,
    PLENARY,
    check_event,
    everyone_in_plenary,
    id_factory,
    kickoff_members,
)
from .test_breakouts_rounds import LATER, round_in


def run(action: Action, round_: Round):
    placement = everyone_in_plenary()
    if action is Action.EDIT_PLAN:
        target = next(r.id for r in round_.rooms if r.id != round_.plan["p01"])
        return plan_move(round_, "p01", target, kickoff_members())
    if action is Action.OPEN:
        return open_round(round_, placement, plenary_id=PLENARY, now=LATER)
    if action is Action.EXTEND:
        return extend_round(round_, 300, now=LATER)
    if action is Action.BEGIN_CLOSE:
        return begin_close(round_, now=LATER)
    if action is Action.CANCEL_CLOSE:
        return cancel_close(round_, now=NOW)
    if action is Action.FINISH_CLOSE:
        return finish_close(round_, placement, plenary_id=PLENARY, now=LATER)
    if action is Action.CANCEL:
        return cancel_round(round_, now=LATER)
    return recreate_round(round_, "round-2", now=LATER, new_room_id=id_factory("n"))


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(RoundStatus, Action)), ids=str
)
def test_every_transition_is_allowed_or_a_conflict_that_changes_nothing(
    status: RoundStatus, action: Action
) -> None:
    before = round_in(status)
    if (status, action) not in TRANSITIONS:
        with pytest.raises(BreakoutError) as caught:
            run(action, before)
        assert caught.value.kind is ErrorKind.CONFLICT and caught.value.status == 409
        assert status.value in caught.value.detail
        assert before == round_in(status)
        return
    after, *_rest, events = run(action, before)
    assert events and all(check_event(e) is not None for e in events)
    if action is Action.RECREATE:
        assert after.status is RoundStatus.PLANNED and after.id == "round-2"
    else:
        assert after.status is TRANSITIONS[(status, action)]


def test_the_table_has_exactly_the_documented_transitions() -> None:
    assert {(s.value, a.value, t.value) for (s, a), t in TRANSITIONS.items()} == {
        ("planned", "edit_plan", "planned"),
        ("planned", "open", "open"),
        ("planned", "cancel", "cancelled"),
        ("open", "extend", "open"),
        ("open", "begin_close", "closing"),
        ("closing", "cancel_close", "open"),
        ("closing", "finish_close", "closed"),
        ("closed", "recreate", "closed"),
        ("cancelled", "recreate", "cancelled"),
    }
