"""The session's alarms and how re-planning treats pending ones (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.automation import (
    END,
    LIVE,
    LOBBY,
    REMINDER,
    replan,
    session_alarms,
    session_instants,
)

UTC = dt.UTC
NOW = dt.datetime(2020, 11, 17, 12, 0, tzinfo=UTC)
S = "s1"


def _instants(status: str, start: dt.datetime, **kw) -> dict:
    return session_instants(
        session_id=S,
        status=status,
        start=start,
        end=start + dt.timedelta(hours=2),
        lobby_lead_s=kw.get("lobby_lead_s", 900),
        auto_live=kw.get("auto_live", True),
        reminders_s=kw.get("reminders_s", [3600]),
    )


def test_instants_follow_the_state():
    start = NOW + dt.timedelta(hours=3)
    assert _instants("scheduled", start) == {
        (LOBBY, S): start - dt.timedelta(minutes=15),
        (REMINDER, f"{S}:3600"): start - dt.timedelta(hours=1),
        (LIVE, S): start,
        (END, S): start + dt.timedelta(hours=2),
    }
    assert set(_instants("lobby", start)) == {(LIVE, S), (END, S)}
    assert set(_instants("live", start)) == {(END, S)}
    assert _instants("ended", start) == _instants("cancelled", start) == {}


def test_only_future_instants_are_set():
    start = NOW + dt.timedelta(minutes=10)  # lobby and reminder already past
    alarms = session_alarms(
        now=NOW,
        session_id=S,
        status="scheduled",
        start=start,
        end=start + dt.timedelta(hours=2),
        lobby_lead_s=900,
        auto_live=True,
        reminders_s=[3600],
    )
    assert set(alarms) == {(LIVE, S), (END, S)}
    assert replan({}, _instants("scheduled", start), NOW) == (set(), alarms)


def test_overdue_pending_alarms_survive_replanning_after_the_lobby_fired_late():
    """Down at the lobby and the start: the lobby fires at start-up, re-plans, and the
    overdue live and end alarms behind it stay to fire once, late."""
    start = NOW - dt.timedelta(minutes=5)
    instants = _instants("lobby", start)
    pending = {(LIVE, S): start, (END, S): start + dt.timedelta(hours=2)}
    assert replan(pending, instants, NOW) == (set(), {})


@pytest.mark.parametrize("status", ["live", "ended", "cancelled"])
def test_alarms_the_state_no_longer_asks_for_are_dropped(status):
    start = NOW - dt.timedelta(minutes=5)
    pending = {(LIVE, S): start, (END, S): start + dt.timedelta(hours=2)}
    to_delete, to_set = replan(pending, _instants(status, start), NOW)
    assert to_set == {}
    assert to_delete == ({(LIVE, S)} if status == "live" else set(pending))


def test_a_move_into_the_past_drops_the_alarm_and_a_move_ahead_moves_it():
    old = NOW + dt.timedelta(hours=3)
    pending = {(LIVE, S): old, (END, S): old + dt.timedelta(hours=2)}
    past = NOW - dt.timedelta(hours=3)
    assert replan(pending, _instants("lobby", past), NOW) == (set(pending), {})
    later = NOW + dt.timedelta(hours=5)
    assert replan(pending, _instants("lobby", later), NOW) == (
        set(),
        {(LIVE, S): later, (END, S): later + dt.timedelta(hours=2)},
    )


def test_naive_stored_instants_compare_as_utc():
    start = NOW - dt.timedelta(minutes=5)
    pending = {(END, S): (start + dt.timedelta(hours=2)).replace(tzinfo=None)}
    assert replan(pending, _instants("live", start), NOW) == (set(), {})
