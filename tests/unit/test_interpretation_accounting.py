"""On-air time, turns, timers and the report."""

from __future__ import annotations

import pytest

from interpretation import (
    Settings,
    apply,
    configure,
    connection_changed,
    go_off_air,
    go_on_air,
    on_air_seconds,
    pending_timers,
    report,
    request_handover,
    set_listening,
    turn_due,
)

from .test_interpretation_helpers import T0, P, at, kickoff, types


@pytest.mark.parametrize(
    ("minute", "expected"),
    [(29.9, []), (30, ["turn.due"]), (45, ["turn.due"]), (59, ["turn.due"])],
)
def test_turn_due_once_per_turn(minute, expected):
    state = go_on_air(kickoff(), "R1", P, "ru", T0).state
    outcome = turn_due(state, at(minute))
    assert types(outcome.events) == expected
    assert turn_due(outcome.state, at(minute)).events == []


def test_turn_due_names_the_partner_and_repeats_next_turn():
    state = go_on_air(kickoff(), "R1", P, "ru", T0).state
    state, (event,) = turn_due(state, at(30))
    assert event.data() == {
        "room_id": P,
        "language": "ru",
        "person_id": "R1",
        "partner_id": "R2",
        "on_air_s": 1800,
    }
    assert event.audience == ("person:R1", "person:R2")
    assert turn_due(state, at(59)).events == []
    assert types(turn_due(state, at(60)).events) == ["turn.due"]


def test_turn_due_with_the_partner_offline_names_no_one_and_tells_the_moderators():
    state = connection_changed(kickoff(), "R2", False, T0).state
    state = go_on_air(state, "R1", P, "ru", T0).state
    (event,) = turn_due(state, at(30)).events
    assert event.data()["partner_id"] is None
    assert event.audience == ("person:R1", "moderators")


def test_turn_survives_the_move_to_the_retour_channel():
    state = go_on_air(kickoff(), "A1", P, "ar", T0).state
    from interpretation import set_floor

    state = set_floor(state, P, "ar", at(20)).state
    (event,) = turn_due(state, at(30)).events
    assert event.data()["language"] == "en" and event.data()["on_air_s"] == 1800


def test_turn_length_is_per_event():
    state = configure(go_on_air(kickoff(), "R1", P, "ru", T0).state, Settings(turn_s=600))
    assert types(turn_due(state, at(10)).events) == ["turn.due"]


def test_on_air_seconds_and_report():
    state = kickoff()
    state = go_on_air(state, "A1", P, "ar", T0).state
    state = go_off_air(state, "A1", P, "ar", at(12)).state
    state = go_on_air(state, "A2", P, "ar", at(12)).state
    state = set_listening(state, "essen", "ar", at(13)).state
    assert on_air_seconds(state, at(15)) == {"A1": {"ar": 720.0}, "A2": {"ar": 180.0}}
    body = report(state, at(15))
    assert body["interpreters"] == [
        {"person_id": "A1", "minutes": {"ar": 12.0}, "total_minutes": 12.0},
        {"person_id": "A2", "minutes": {"ar": 3.0}, "total_minutes": 3.0},
    ]
    assert [(s["person_id"], s["start"], s["end"]) for s in body["on_air"]] == [
        ("A1", T0, at(12)),
        ("A2", at(12), at(15)),
    ]
    ar = next(c for c in body["listeners"] if c["room_id"] == P and c["language"] == "ar")
    assert [(p["at"], p["listeners"]) for p in ar["samples"]] == [
        (T0, 1),
        (at(13), 2),
    ]


def test_pending_timers_name_stable_jobs_and_their_commands():
    state = go_on_air(kickoff(), "A1", P, "ar", T0).state
    state = request_handover(state, "A1", "A2", P, "ar", at(1)).state
    timers = {t.job_id: t for t in pending_timers(state)}
    assert set(timers) == {"handover:plenary:ar", "turn:plenary:ar"}
    expiry = timers["handover:plenary:ar"]
    assert expiry.due == at(1, 30)
    assert types(apply(state, expiry.command, expiry.due).events) == ["handover.expired"]
    turn = timers["turn:plenary:ar"]
    assert turn.due == at(30)
    assert types(apply(state, turn.command, turn.due).events) == ["turn.due"]
