"""The issue's story, step by step: kick-off, handover, an Arabic mayor, working
groups, a dropped interpreter, the report."""

from __future__ import annotations

from interpretation import (
    ChannelKey,
    Interpreter,
    Source,
    accept_handover,
    channels_view,
    connection_changed,
    dropout_due,
    go_on_air,
    move_person,
    open_room,
    pending_timers,
    plan_booths,
    report,
    request_handover,
    set_floor,
    set_listening,
)

from .test_interpretation_helpers import BOOTHS, T0, P, at, channel, kickoff, types


def sources(state, room_id=P):
    return {
        ch["language"]: (ch["on_air"], ch["source"])
        for room in channels_view(state)["rooms"]
        if room["room_id"] == room_id
        for ch in room["channels"]
    }


def test_kickoff_handover_mayor_working_groups_and_report():
    state = kickoff()
    state = go_on_air(state, "A1", P, "ar", T0).state
    state = go_on_air(state, "R1", P, "ru", T0).state
    assert sources(state) == {
        "en": (None, {"kind": "floor", "language": "en"}),
        "ar": ("A1", {"kind": "interpreter", "language": "en"}),
        "ru": ("R1", {"kind": "interpreter", "language": "en"}),
    }
    # Tbilisi hears the Russian booth.
    assert channel(state, P, "ru").source == Source("interpreter", "en")
    assert state.members["tbilisi"].listening == "ru"

    # After 30 minutes the Arabic interpreter hands over: one step, never two, never none.
    state, events = request_handover(state, "A1", "A2", P, "ar", at(29, 50))
    assert types(events) == ["handover.requested"]
    state, events = accept_handover(state, "A2", P, "ar", at(30))
    assert types(events) == ["channel.updated", "handover.completed"]
    assert events[0].data()["channel"]["on_air"] == "A2"

    # An Arabic mayor takes the floor.
    outcome = set_floor(state, P, "ar", at(40))
    state = outcome.state
    assert outcome.uncovered == []
    assert sources(state) == {
        "en": ("A2", {"kind": "interpreter", "language": "ar"}),
        "ar": (None, {"kind": "floor", "language": "ar"}),
        "ru": ("R1", {"kind": "relay", "language": "en"}),
    }
    assert "floor.language" in types(outcome.events)
    assert "channel.uncovered" not in types(outcome.events)
    # Every client sees each channel's new source in that same step.
    updated = {
        e.data()["channel"]["language"] for e in outcome.events if e.type == "channel.updated"
    }
    assert updated == {"en", "ar", "ru"}

    # English again: the retour interpreter goes back to Arabic in the same step.
    state = set_floor(state, P, "en", at(60)).state
    assert sources(state)["ar"] == ("A2", {"kind": "interpreter", "language": "en"})
    assert sources(state)["ru"] == ("R1", {"kind": "interpreter", "language": "en"})

    # Working groups: the Arabic group gets its own channel with an interpreter in it.
    plan = plan_booths(
        [("G1", ["ar"]), ("G2", ["ru"]), ("G3", [])],
        [Interpreter.of(pid, dirs) for pid, dirs in BOOTHS.items()],
        floor_language="en",
    )
    assert plan.uncovered == []
    assert sorted(plan.assignments["G1"]) == ["A1", "A2"]
    assert sorted(plan.assignments["G2"]) == ["R1", "R2"]
    assert plan.assignments["G3"] == []
    for room_id, langs in [("G1", ["ar"]), ("G2", ["ru"]), ("G3", [])]:
        state = open_room(state, room_id, langs, at(70)).state
    for room_id, people in plan.assignments.items():
        for pid in people:
            state = move_person(state, pid, room_id, at(70)).state
    state = move_person(state, "amman", "G1", at(70)).state
    state = move_person(state, "essen", "G3", at(70)).state
    state = go_on_air(state, "A1", "G1", "ar", at(70)).state
    assert sources(state, "G1") == {
        "en": (None, {"kind": "floor", "language": "en"}),
        "ar": ("A1", {"kind": "interpreter", "language": "en"}),
    }
    assert state.members["amman"].listening == "ar"
    assert [c["language"] for c in channels_view(state)["rooms"][3]["channels"]] == ["en"]

    # The operator's report matches the on-air history.
    minutes = {row["person_id"]: row["minutes"] for row in report(state, at(90))["interpreters"]}
    assert minutes == {
        "A1": {"ar": 50.0},
        "A2": {"ar": 20.0, "en": 20.0},
        "R1": {"ru": 70.0},
    }


def test_dropout_grace_then_partner_asked_and_moderators_told():
    state = kickoff()
    state = go_on_air(state, "A1", P, "ar", T0).state
    state, events = connection_changed(state, "A1", False, at(5))
    assert events == []
    (timer,) = [t for t in pending_timers(state) if t.kind == "dropout"]
    assert timer.due == at(5, 10) and timer.job_id == "dropout:A1"
    assert channel(state, P, "ar").on_air == "A1"  # still on air during the grace

    state, events = dropout_due(state, "A1", timer.due, timer.due)
    assert types(events) == ["channel.uncovered", "channel.updated", "handover.requested"]
    requested = events[2]
    assert requested.data()["to"] == "A2" and requested.data()["reason"] == "dropout"
    assert "person:A2" in requested.audience
    assert events[0].audience == ("moderators",)
    assert dropout_due(state, "A1", timer.due, timer.due).events == []  # fired twice

    state, events = accept_handover(state, "A2", P, "ar", at(5, 20))
    assert types(events) == ["channel.updated", "handover.completed"]
    assert channel(state, P, "ar").on_air == "A2"


def test_reconnect_within_the_grace_keeps_the_interpreter_live():
    state = kickoff()
    state = go_on_air(state, "A1", P, "ar", T0).state
    state = connection_changed(state, "A1", False, at(5)).state
    state = connection_changed(state, "A1", True, at(5, 4)).state
    assert dropout_due(state, "A1", at(5, 10), at(5, 10)).events == []
    assert channel(state, P, "ar").on_air == "A1"


def test_dropout_without_a_connected_partner_tells_the_moderators():
    state = kickoff()
    state = go_on_air(state, "A1", P, "ar", T0).state
    state = connection_changed(state, "A2", False, T0).state
    state = connection_changed(state, "A1", False, at(1)).state
    outcome = dropout_due(state, "A1", at(1, 10), at(1, 10))
    assert types(outcome.events) == ["channel.uncovered", "channel.updated"]
    assert outcome.state.handovers == {}


def test_dropped_channel_listeners_fall_back_and_channels_follow_into_breakouts():
    from interpretation import drop_language

    state = kickoff()
    state = open_room(state, "G2", ["ru"], T0).state
    state = move_person(state, "tbilisi", "G2", T0).state
    state, events = drop_language(state, "ru", at(1))
    removed = [e.data() for e in events if e.type == "channel.updated"]
    assert {(d["room_id"], d["channel"]["language"], d["removed"]) for d in removed} == {
        (P, "ru", True),
        ("G2", "ru", True),
    }
    (told,) = [e for e in events if e.type == "listening.changed"]
    assert told.data() == {
        "person_id": "tbilisi",
        "room_id": "G2",
        "language": "en",
        "fallback_reason": "language_dropped",
        "requested": "ru",
    }
    assert ChannelKey("G2", "ru") not in state.channels


def test_listener_in_a_room_without_their_channel_hears_the_floor():
    state = kickoff()
    state = open_room(state, "G1", ["ar"], T0).state
    state = move_person(state, "essen", "G1", T0).state
    state, events = set_listening(state, "essen", "ru", at(1))
    assert events[0].data()["fallback_reason"] == "no_channel_in_room"
    assert state.members["essen"].listening == "en"
