"""A person keeps the language they chose when moving rooms; where the room has no
such channel they hear the floor, told why, and get their choice back, told, in
the next room that has it. And moderators hear of a channel going silent before
the event that silences it."""

from __future__ import annotations

from interpretation import (
    close_room,
    drop_language,
    go_off_air,
    go_on_air,
    move_people,
    move_person,
    open_room,
    set_floor,
    set_languages,
    set_listening,
)
from interpretation.serialization import from_dict, to_dict

from .test_interpretation_helpers import T0, P, at, kickoff


def told(events, person_id):
    return [e.data() for e in events if e.type == "listening.changed" and e.person_id == person_id]


def test_a_russian_listener_falls_back_in_a_room_without_russian_and_gets_it_back():
    state = open_room(kickoff(), "B1", ["ar"], T0).state
    state, events = move_person(state, "tbilisi", "B1", at(1))
    member = state.members["tbilisi"]
    assert (member.listening, member.chosen) == ("en", "ru")
    assert told(events, "tbilisi") == [
        {
            "person_id": "tbilisi",
            "room_id": "B1",
            "language": "en",
            "fallback_reason": "no_channel_in_room",
            "requested": "ru",
        }
    ]

    state, events = move_person(state, "tbilisi", P, at(2))
    member = state.members["tbilisi"]
    assert (member.listening, member.chosen) == ("ru", "ru")
    assert told(events, "tbilisi") == [
        {"person_id": "tbilisi", "room_id": P, "language": "ru", "reason": "channel_available"}
    ]
    # the Russian channel of the plenary counts her again
    from interpretation import listener_counts

    assert listener_counts(state, P)["ru"] == 1


def test_the_choice_survives_a_round_and_comes_back_when_the_room_closes():
    state = open_room(kickoff(), "B1", [], T0).state
    state, events = move_people(state, {"tbilisi": "B1", "amman": "B1", "essen": "B1"}, at(1))
    assert {e.person_id for e in events if e.type == "listening.changed"} == {"tbilisi", "amman"}
    assert state.members["amman"].chosen == "ar"

    state, events = close_room(state, "B1", at(5))
    assert [(d["person_id"], d["language"], d.get("reason")) for d in told(events, "amman")] == [
        ("amman", "ar", "channel_available")
    ]
    assert state.members["tbilisi"].listening == "ru"
    assert state.members["essen"].listening == "en"
    assert told(events, "essen") == []  # nothing changed for her


def test_choosing_a_language_the_room_lacks_keeps_it_for_later():
    state = open_room(kickoff(), "B1", ["ar"], T0).state
    state = move_person(state, "essen", "B1", T0).state
    state, events = set_listening(state, "essen", "ru", at(1))
    assert state.members["essen"].listening == "en" and state.members["essen"].chosen == "ru"
    assert told(events, "essen")[0]["fallback_reason"] == "no_channel_in_room"
    state, events = move_person(state, "essen", P, at(2))
    assert state.members["essen"].listening == "ru"
    assert told(events, "essen")[0]["reason"] == "channel_available"

    # choosing the floor language while away replaces the kept choice
    state = move_person(state, "essen", "B1", at(3)).state
    state, events = set_listening(state, "essen", "en", at(4))
    assert state.members["essen"].chosen == "en"
    state, events = move_person(state, "essen", P, at(5))
    assert state.members["essen"].listening == "en" and told(events, "essen") == []


def test_a_dropped_language_stays_the_choice_and_returns_with_its_channel():
    state = open_room(kickoff(), "B1", [], T0).state
    state, events = drop_language(state, "ru", at(1))  # she hears Russian in the plenary
    assert told(events, "tbilisi") == [
        {
            "person_id": "tbilisi",
            "room_id": P,
            "language": "en",
            "fallback_reason": "language_dropped",
            "requested": "ru",
        }
    ]
    assert state.members["tbilisi"].chosen == "ru"
    state = move_person(state, "tbilisi", "B1", at(2)).state  # hears English anyway: not told
    state, events = set_languages(state, ["ar", "ru"], at(3))
    assert told(events, "tbilisi") == []
    state, events = move_person(state, "tbilisi", P, at(4))
    assert state.members["tbilisi"].listening == "ru"
    assert told(events, "tbilisi") == [
        {"person_id": "tbilisi", "room_id": P, "language": "ru", "reason": "channel_available"}
    ]


def test_states_stored_before_the_choice_was_kept_load_with_it():
    state = kickoff()
    data = to_dict(state)
    for member in data["members"]:
        member.pop("chosen")
    loaded = from_dict(data)
    assert loaded.members["tbilisi"].chosen == "ru"
    assert from_dict(to_dict(loaded)) == loaded


# -- moderators hear of silence first ----------------------------------------------------


def _silencing_updates(events):
    return [
        i
        for i, e in enumerate(events)
        if e.type == "channel.updated" and not e.removed and e.channel.source is None
    ]


def _announced(events, room_id, language):
    return [
        i
        for i, e in enumerate(events)
        if e.type == "channel.uncovered" and (e.room_id, e.language) == (room_id, language)
    ]


def test_channel_uncovered_comes_before_the_update_that_leaves_it_without_a_source():
    state = go_on_air(kickoff(), "A1", P, "ar", T0).state
    events = go_off_air(state, "A1", P, "ar", at(1)).events
    (silenced,) = _silencing_updates(events)
    (announced,) = _announced(events, P, "ar")
    assert announced < silenced
    assert events[announced].audience == ("moderators",)


def test_a_floor_nobody_understands_announces_each_channel_before_it_goes_silent():
    state = go_on_air(kickoff(), "A1", P, "ar", T0).state
    state = go_on_air(state, "R1", P, "ru", T0).state
    outcome = set_floor(state, P, "ru", at(1))
    assert sorted(outcome.uncovered) == ["ar", "en"]
    for i in _silencing_updates(outcome.events):
        language = outcome.events[i].channel.language
        announced = _announced(outcome.events, P, language)
        assert announced and announced[0] < i, language
