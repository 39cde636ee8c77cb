"""Round lifecycle: opening, extending and closing on time, timers, cancelling and recreating."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.model import Placement, Round, RoundStatus
from breakouts.rounds import (
    begin_close,
    cancel_close,
    cancel_round,
    extend_round,
    finish_close,
    open_round,
    recreate_round,
)
from breakouts.timers import Timer, TimerKind, fire_timer, pending_timer

from .test_breakouts_fixtures import (
    NOW,
    PLENARY,
    check_event,
    everyone_in_plenary,
    id_factory,
    kickoff_members,
    make_round,
)

LATER = NOW + timedelta(minutes=30)


def round_in(status: RoundStatus) -> Round:
    planned = make_round(duration_s=600)
    if status is RoundStatus.PLANNED:
        return planned
    opened, _, _ = open_round(planned, everyone_in_plenary(), plenary_id=PLENARY, now=NOW)
    if status is RoundStatus.OPEN:
        return opened
    if status is RoundStatus.CANCELLED:
        return cancel_round(planned, now=NOW)[0]
    closing, _ = begin_close(opened, now=NOW)
    if status is RoundStatus.CLOSING:
        return closing
    return finish_close(closing, everyone_in_plenary(), plenary_id=PLENARY, now=NOW)[0]


def test_open_moves_every_planned_member_online_or_not_in_one_step() -> None:
    round_ = make_round("by_language", duration_s=3600)
    opened, placement, events = open_round(
        round_, everyone_in_plenary(), plenary_id=PLENARY, now=NOW
    )
    assert opened.status is RoundStatus.OPEN and opened.opened_at == NOW
    assert opened.ends_at == NOW + timedelta(hours=1)
    assert events[0].type == "breakout.opened" and events[0].audience == ("session",)
    assert check_event(events[0])["ends_at"] == "2021-08-31T13:00:00+00:00"
    moves = events[1:]
    assert {e.person_id for e in moves} == set(round_.plan) and len(moves) == 38
    offline = [m.person_id for m in kickoff_members() if m.is_participant and not m.online]
    assert offline and all(placement[pid] == round_.plan[pid] for pid in offline)
    staff = [m.person_id for m in kickoff_members() if not m.is_participant]
    assert all(placement[pid] == PLENARY for pid in staff)
    first = moves[0]
    assert set(first.audience) == {
        f"person:{first.person_id}",
        "moderators",
        f"room:{PLENARY}",
        f"room:{first.to_room}",
    }


def test_open_without_duration_has_no_end() -> None:
    opened, _, events = open_round(make_round(), everyone_in_plenary(), plenary_id=PLENARY, now=NOW)
    assert opened.ends_at is None and events[0].data()["ends_at"] is None
    assert pending_timer(opened) is None


def test_a_second_open_round_in_the_session_is_a_conflict() -> None:
    first = round_in(RoundStatus.OPEN)
    second = make_round(round_id="round-2", new_room_id=id_factory("x"))
    with pytest.raises(BreakoutError) as caught:
        open_round(
            second,
            everyone_in_plenary(),
            plenary_id=PLENARY,
            now=NOW,
            session_rounds=[first, second],
        )
    assert caught.value.kind is ErrorKind.CONFLICT and first.id in caught.value.detail
    closing = round_in(RoundStatus.CLOSING)
    with pytest.raises(BreakoutError):
        open_round(
            second, everyone_in_plenary(), plenary_id=PLENARY, now=NOW, session_rounds=[closing]
        )
    other_session = replace(first, session_id="session-2")
    closed = round_in(RoundStatus.CLOSED)
    opened, _, _ = open_round(
        second,
        everyone_in_plenary(),
        plenary_id=PLENARY,
        now=NOW,
        session_rounds=[other_session, closed],
    )
    assert opened.status is RoundStatus.OPEN


def test_planned_members_who_never_joined_are_placed_from_the_plenary() -> None:
    round_ = make_round()
    _, placement, events = open_round(round_, Placement(), plenary_id=PLENARY, now=NOW)
    assert dict(placement) == round_.plan
    assert all(e.data()["from_room"] == PLENARY for e in events[1:])


def test_extend_moves_ends_at_and_tells_everyone() -> None:
    opened = round_in(RoundStatus.OPEN)
    extended, [event] = extend_round(opened, 300, now=NOW)
    assert extended.ends_at == opened.ends_at + timedelta(minutes=5)
    assert event.type == "breakout.extended" and event.audience == ("session",)
    assert event.data() == {"round_id": opened.id, "ends_at": extended.ends_at}


def test_extend_gives_an_open_ended_round_an_end_and_refuses_nonsense() -> None:
    opened, _, _ = open_round(make_round(), everyone_in_plenary(), plenary_id=PLENARY, now=NOW)
    assert extend_round(opened, 60, now=NOW)[0].ends_at == NOW + timedelta(minutes=1)
    for seconds in (0, -600, -10_000):
        with pytest.raises(BreakoutError) as caught:
            extend_round(round_in(RoundStatus.OPEN), seconds, now=NOW)
        assert caught.value.kind is ErrorKind.INVALID


def test_close_counts_down_then_brings_everyone_back_connected_or_not() -> None:
    members = kickoff_members()
    opened, placement, _ = open_round(
        make_round(duration_s=600), everyone_in_plenary(), plenary_id=PLENARY, now=NOW
    )
    moderator_room = opened.rooms[0].id
    placement = placement.moved({"s01": moderator_room})  # a moderator visits a room
    closing, [event] = begin_close(opened, now=LATER)
    assert closing.closes_at == LATER + timedelta(seconds=60)
    assert event.type == "breakout.closing" and event.data()["closes_at"] == closing.closes_at
    closed, back, events = finish_close(closing, placement, plenary_id=PLENARY, now=LATER)
    assert closed.status is RoundStatus.CLOSED and closed.closed_at == LATER
    assert set(back.values()) == {PLENARY} and len(back) == len(members)
    assert events[-1].type == "breakout.closed"
    assert {e.person_id for e in events[:-1]} == set(opened.plan) | {"s01"}


def test_cancelling_the_countdown_keeps_a_future_end_and_drops_a_past_one() -> None:
    opened = round_in(RoundStatus.OPEN)  # ends at NOW + 10 min
    early, _ = begin_close(opened, now=NOW)
    reopened, [event] = cancel_close(early, now=NOW)
    assert reopened.status is RoundStatus.OPEN and reopened.closes_at is None
    assert reopened.ends_at == opened.ends_at
    assert event.type == "breakout.close_cancelled"
    assert event.data() == {"round_id": opened.id, "ends_at": opened.ends_at}
    late, _ = begin_close(opened, now=LATER)
    assert cancel_close(late, now=LATER)[0].ends_at is None


def test_timers_fire_once_and_stale_firings_do_nothing() -> None:
    opened, placement, _ = open_round(
        make_round(duration_s=600), everyone_in_plenary(), plenary_id=PLENARY, now=NOW
    )
    end = pending_timer(opened)
    assert end == Timer(opened.id, TimerKind.END, NOW + timedelta(minutes=10))
    assert end.job_id == "round:round-1:breakout.end"
    due = end.due
    closing, same, events = fire_timer(opened, placement, end, plenary_id=PLENARY, now=due)
    assert closing.status is RoundStatus.CLOSING and same is placement
    assert [e.type for e in events] == ["breakout.closing"]
    # firing twice does nothing
    assert fire_timer(closing, placement, end, plenary_id=PLENARY, now=due) == (
        closing,
        placement,
        [],
    )
    finish = pending_timer(closing)
    assert finish.kind is TimerKind.FINISH and finish.due == due + timedelta(seconds=60)
    closed, back, events = fire_timer(closing, placement, finish, plenary_id=PLENARY, now=due)
    assert closed.status is RoundStatus.CLOSED and set(back.values()) == {PLENARY}
    assert events[-1].type == "breakout.closed"
    assert fire_timer(closed, back, finish, plenary_id=PLENARY, now=due)[2] == []
    assert pending_timer(closed) is None


def test_an_extension_makes_the_old_end_timer_stale() -> None:
    opened = round_in(RoundStatus.OPEN)
    old = pending_timer(opened)
    extended, _ = extend_round(opened, 300, now=NOW)
    placement = everyone_in_plenary()
    assert fire_timer(extended, placement, old, plenary_id=PLENARY, now=old.due)[2] == []
    assert pending_timer(extended).due == old.due + timedelta(minutes=5)


def test_a_late_end_timer_still_gives_the_full_countdown() -> None:
    opened = round_in(RoundStatus.OPEN)
    timer = pending_timer(opened)
    restarted_at = timer.due + timedelta(minutes=3)
    closing, _, _ = fire_timer(
        opened, everyone_in_plenary(), timer, plenary_id=PLENARY, now=restarted_at
    )
    assert closing.closes_at == restarted_at + timedelta(seconds=60)


def test_cancelling_a_planned_round_moves_nobody() -> None:
    cancelled, [event] = cancel_round(make_round(), now=NOW)
    assert cancelled.status is RoundStatus.CANCELLED
    assert event.type == "breakout.cancelled" and event.data() == {"round_id": "round-1"}


def test_recreate_copies_rooms_and_plan_onto_new_room_ids() -> None:
    closed = round_in(RoundStatus.CLOSED)
    new, [event] = recreate_round(closed, "round-2", now=LATER, room_ids=["a", "b", "c", "d", "e"])
    assert new.status is RoundStatus.PLANNED and new.session_id == closed.session_id
    assert [r.id for r in new.rooms] == ["a", "b", "c", "d", "e"]
    assert [(r.name, r.languages) for r in new.rooms] == [
        (r.name, r.languages) for r in closed.rooms
    ]
    old_names = {r.id: r.name for r in closed.rooms}
    new_names = {r.id: r.name for r in new.rooms}
    assert {p: new_names[r] for p, r in new.plan.items()} == {
        p: old_names[r] for p, r in closed.plan.items()
    }
    assert (new.duration_s, new.countdown_s, new.strategy) == (600, 60, closed.strategy)
    assert event.type == "breakout.created"


def test_recreated_rooms_never_reuse_the_old_ids() -> None:
    closed = round_in(RoundStatus.CLOSED)
    with pytest.raises(ValueError):
        recreate_round(closed, "round-2", now=LATER, room_ids=[r.id for r in closed.rooms])


def test_naive_instants_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        begin_close(round_in(RoundStatus.OPEN), now=NOW.replace(tzinfo=None))


def test_extending_after_the_end_passed_counts_from_now() -> None:
    opened = round_in(RoundStatus.OPEN)  # ended at NOW + 10 min, timer not yet fired
    extended, _ = extend_round(opened, 300, now=LATER)
    assert extended.ends_at == LATER + timedelta(minutes=5)


def test_companions_go_with_the_round_after_the_plan() -> None:
    """Interpreters the plan does not name go into their booth's room as it opens,
    with a ``room.moved`` built here like every other move (the server passes them)."""
    round_ = make_round("by_language")
    staff = [m.person_id for m in kickoff_members() if not m.is_participant]
    room_id = round_.rooms[0].id
    opened, placement, events = open_round(
        round_,
        everyone_in_plenary(),
        plenary_id=PLENARY,
        now=NOW,
        companions={staff[0]: room_id},
    )
    assert placement[staff[0]] == room_id
    last = events[-1]
    assert (last.type, last.person_id, last.from_room, last.to_room) == (
        "room.moved",
        staff[0],
        PLENARY,
        room_id,
    )
    check_event(last)
    assert len(events) == 1 + len(round_.plan) + 1
