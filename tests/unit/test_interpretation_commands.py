"""Table-driven tests of every command: allowed, forbidden, conflict, invalid, not found.

Each row: extra interpreters, setup commands (run at T0), the command, and
either the event types it must emit or the error kind it must raise (and then
change nothing).
"""

from __future__ import annotations

import pytest

from interpretation.commands import (
    AcceptHandover,
    AddLanguage,
    CloseRoom,
    ConnectionChanged,
    DropLanguage,
    ExpireHandover,
    GoOffAir,
    GoOnAir,
    MovePerson,
    OpenRoom,
    RequestHandover,
    SetFloor,
    SetLanguages,
    SetListening,
    apply,
)

from .test_interpretation_helpers import T0, P, at, kickoff, rejected, run, types

UPDATED = "channel.updated"
UNCOVERED = "channel.uncovered"
ERRORS = {"invalid", "not_found", "forbidden", "conflict"}

A1_LIVE = [GoOnAir("A1", P, "ar")]
B1 = OpenRoom("B1", ("ar",))
ASKED = [*A1_LIVE, RequestHandover("A1", "A2", P, "ar")]

CASES = [
    # --- on air -------------------------------------------------------------------------
    ("on_air allowed", None, [], GoOnAir("A1", P, "ar"), [UPDATED]),
    ("on_air again is a no-op", None, A1_LIVE, GoOnAir("A1", P, "ar"), []),
    ("on_air no direction into it", None, [], GoOnAir("R1", P, "ar"), "forbidden"),
    ("on_air by a participant", None, [], GoOnAir("essen", P, "ar"), "forbidden"),
    ("on_air unknown person", None, [], GoOnAir("nobody", P, "ar"), "not_found"),
    ("on_air unknown room", None, [], GoOnAir("A1", "nowhere", "ar"), "not_found"),
    ("on_air unknown language", None, [], GoOnAir("A1", P, "de"), "not_found"),
    ("on_air partner is live", None, A1_LIVE, GoOnAir("A2", P, "ar"), "conflict"),
    ("on_air on the floor channel", None, [], GoOnAir("A1", P, "en"), "conflict"),
    (
        "on_air live elsewhere",
        {"V": ("en>ar", "en>ru")},
        [GoOnAir("V", P, "ar")],
        GoOnAir("V", P, "ru"),
        "conflict",
    ),
    (
        "on_air from another room",
        None,
        [B1, MovePerson("A2", "B1")],
        GoOnAir("A2", P, "ar"),
        "conflict",
    ),
    (
        "on_air in a breakout",
        None,
        [B1, MovePerson("A2", "B1")],
        GoOnAir("A2", "B1", "ar"),
        [UPDATED],
    ),
    (
        "on_air channel the breakout lacks",
        None,
        [B1, MovePerson("R1", "B1")],
        GoOnAir("R1", "B1", "ru"),
        "not_found",
    ),
    # --- off air ------------------------------------------------------------------------
    (
        "off_air last voice of a listened channel",
        None,
        A1_LIVE,
        GoOffAir("A1", P, "ar"),
        [UNCOVERED, UPDATED],
    ),
    (
        "off_air channel nobody listens to",
        None,
        [GoOnAir("R1", P, "ru"), SetListening("tbilisi", "en")],
        GoOffAir("R1", P, "ru"),
        [UPDATED],
    ),
    ("off_air by the partner", None, A1_LIVE, GoOffAir("A2", P, "ar"), "forbidden"),
    ("off_air by a participant", None, A1_LIVE, GoOffAir("amman", P, "ar"), "forbidden"),
    ("off_air nobody live", None, [], GoOffAir("A1", P, "ar"), "conflict"),
    ("off_air unknown language", None, A1_LIVE, GoOffAir("A1", P, "xx"), "not_found"),
    (
        "off_air cancels own pending handover",
        None,
        ASKED,
        GoOffAir("A1", P, "ar"),
        [UNCOVERED, UPDATED, "handover.cancelled"],
    ),
    # --- handover request ---------------------------------------------------------------
    (
        "handover allowed",
        None,
        A1_LIVE,
        RequestHandover("A1", "A2", P, "ar"),
        ["handover.requested"],
    ),
    (
        "handover replaces a pending one",
        {"A3": ("en>ar",)},
        ASKED,
        RequestHandover("A1", "A3", P, "ar"),
        ["handover.cancelled", "handover.requested"],
    ),
    (
        "handover by the partner who is not live",
        None,
        A1_LIVE,
        RequestHandover("A2", "A1", P, "ar"),
        "forbidden",
    ),
    ("handover outside the booth", None, A1_LIVE, RequestHandover("A1", "R1", P, "ar"), "invalid"),
    (
        "handover to a participant",
        None,
        A1_LIVE,
        RequestHandover("A1", "amman", P, "ar"),
        "invalid",
    ),
    ("handover to oneself", None, A1_LIVE, RequestHandover("A1", "A1", P, "ar"), "invalid"),
    (
        "handover to an unknown person",
        None,
        A1_LIVE,
        RequestHandover("A1", "ghost", P, "ar"),
        "not_found",
    ),
    (
        "handover partner offline",
        None,
        [*A1_LIVE, ConnectionChanged("A2", False)],
        RequestHandover("A1", "A2", P, "ar"),
        "conflict",
    ),
    (
        "handover partner in another room",
        None,
        [*A1_LIVE, B1, MovePerson("A2", "B1")],
        RequestHandover("A1", "A2", P, "ar"),
        "conflict",
    ),
    (
        "handover partner cannot cover",
        {"Z": ("ru>ar",)},
        A1_LIVE,
        RequestHandover("A1", "Z", P, "ar"),
        "conflict",
    ),
    ("handover bad timeout", None, A1_LIVE, RequestHandover("A1", "A2", P, "ar", 0), "invalid"),
    # --- handover accept ----------------------------------------------------------------
    ("accept allowed", None, ASKED, AcceptHandover("A2", P, "ar"), [UPDATED, "handover.completed"]),
    (
        "accept by another interpreter",
        {"A3": ("en>ar",)},
        ASKED,
        AcceptHandover("A3", P, "ar"),
        "forbidden",
    ),
    ("accept by the requester", None, ASKED, AcceptHandover("A1", P, "ar"), "forbidden"),
    ("accept nothing asked", None, A1_LIVE, AcceptHandover("A2", P, "ar"), "forbidden"),
    (
        "accept twice",
        None,
        [*ASKED, AcceptHandover("A2", P, "ar")],
        AcceptHandover("A2", P, "ar"),
        "conflict",
    ),
    ("accept unknown channel", None, ASKED, AcceptHandover("A2", P, "fr"), "not_found"),
    (
        "accept after leaving the room",
        None,
        [*ASKED, B1, MovePerson("A2", "B1")],
        AcceptHandover("A2", P, "ar"),
        "conflict",
    ),
    # --- floor --------------------------------------------------------------------------
    (
        "floor arabic",
        None,
        [*A1_LIVE, GoOnAir("R1", P, "ru")],
        SetFloor(P, "ar"),
        [UPDATED, UPDATED, UPDATED, "floor.language"],
    ),
    ("floor unchanged", None, [], SetFloor(P, "en"), []),
    ("floor not an event language", None, [], SetFloor(P, "de"), "invalid"),
    ("floor not a language code", None, [], SetFloor(P, "English"), "invalid"),
    ("floor unknown room", None, [], SetFloor("nowhere", "ar"), "not_found"),
    (
        "floor nobody understands: nobody stays live without a source",
        None,
        [*A1_LIVE, GoOnAir("R1", P, "ru")],
        SetFloor(P, "ru"),
        [UNCOVERED, UPDATED, UPDATED, UNCOVERED, UPDATED, "floor.language"],
    ),
    # --- listening ----------------------------------------------------------------------
    ("listening allowed", None, [], SetListening("tbilisi", "ar"), ["listening.changed"]),
    ("listening unchanged", None, [], SetListening("tbilisi", "ru"), []),
    (
        "listening to an uncovered channel nobody heard",
        None,
        [SetListening("tbilisi", "en")],
        SetListening("essen", "ru"),
        ["listening.changed", UNCOVERED],
    ),
    ("listening not an event language", None, [], SetListening("tbilisi", "de"), "invalid"),
    ("listening bad code", None, [], SetListening("tbilisi", "russian"), "invalid"),
    ("listening unknown person", None, [], SetListening("ghost", "ar"), "not_found"),
    (
        "listening falls back in a breakout",
        None,
        [B1, MovePerson("essen", "B1")],
        SetListening("essen", "ru"),
        ["listening.changed"],
    ),
    # --- moves --------------------------------------------------------------------------
    (
        "move listener keeps language, nobody interprets it there",
        None,
        [B1],
        MovePerson("amman", "B1"),
        [UNCOVERED],
    ),
    (
        "move listener keeps language",
        None,
        [B1, MovePerson("A2", "B1"), GoOnAir("A2", "B1", "ar")],
        MovePerson("amman", "B1"),
        [],
    ),
    ("move listener falls back", None, [B1], MovePerson("tbilisi", "B1"), ["listening.changed"]),
    (
        "move live interpreter goes off air",
        None,
        [*A1_LIVE, B1],
        MovePerson("A1", "B1"),
        [UNCOVERED, UPDATED, UPDATED, UPDATED, UPDATED],
    ),
    ("move to an unknown room", None, [], MovePerson("amman", "B9"), "not_found"),
    ("move an unknown person", None, [], MovePerson("ghost", P), "not_found"),
    ("move to where one is", None, [], MovePerson("amman", P), []),
    # --- languages and rooms ------------------------------------------------------------
    ("add a language", None, [], AddLanguage("de"), [UPDATED]),
    ("add a known language", None, [], AddLanguage("ar"), "conflict"),
    ("add the floor language", None, [], AddLanguage("en"), "conflict"),
    ("add a bad code", None, [], AddLanguage("DE"), "invalid"),
    (
        "drop a language",
        None,
        [GoOnAir("R1", P, "ru")],
        DropLanguage("ru"),
        [UPDATED, "listening.changed"],
    ),
    (
        "drop the language on the floor",
        None,
        [SetFloor(P, "ar")],
        DropLanguage("ar"),
        [UPDATED, UPDATED, "listening.changed", "floor.language"],
    ),
    ("drop the floor language", None, [], DropLanguage("en"), "invalid"),
    ("drop an unknown language", None, [], DropLanguage("de"), "not_found"),
    ("set languages unchanged", None, [], SetLanguages(("ar", "ru")), []),
    ("open a room", None, [], OpenRoom("B1", ("ar",)), [UPDATED, UPDATED]),
    ("open a room twice", None, [B1], OpenRoom("B1", ()), "conflict"),
    ("open a room in a language the event lacks", None, [], OpenRoom("B1", ("de",)), "invalid"),
    (
        "close a room",
        None,
        [B1, MovePerson("amman", "B1")],
        CloseRoom("B1"),
        [UPDATED, UPDATED, UNCOVERED],
    ),
    ("close the plenary", None, [], CloseRoom(P), "invalid"),
    ("close an unknown room", None, [], CloseRoom("B9"), "not_found"),
]


@pytest.mark.parametrize(
    ("extra", "setup", "command", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_command(extra, setup, command, expected):
    state = run(kickoff(extra), setup)
    if isinstance(expected, str):
        assert expected in ERRORS
        error = rejected(state, command, at(0, 10))
        assert error.kind == expected
        assert error.detail.endswith(".")
    else:
        outcome = apply(state, command, at(0, 10))
        assert types(outcome.events) == expected


def test_on_air_conflict_says_to_use_handover():
    state = run(kickoff(), A1_LIVE)
    error = rejected(state, GoOnAir("A2", P, "ar"))
    assert error.status == 409 and "hand over" in error.detail


def test_accept_is_one_step_from_requester_to_partner():
    state = run(kickoff(), ASKED)
    outcome = apply(state, AcceptHandover("A2", P, "ar"), at(0, 20))
    updated = [e for e in outcome.events if e.type == UPDATED]
    assert len(updated) == 1
    assert updated[0].data()["channel"]["on_air"] == "A2"
    assert outcome.events[-1].data() == {
        "request_id": "h1",
        "room_id": P,
        "language": "ar",
        "from": "A1",
        "to": "A2",
    }


def test_requested_tells_only_the_partner_and_requester():
    state = run(kickoff(), A1_LIVE)
    (event,) = apply(state, RequestHandover("A1", "A2", P, "ar"), at(1)).events
    assert event.audience == ("person:A2", "person:A1")
    assert event.data()["expires_at"] == at(1, 30)


def test_accept_after_expiry_is_conflict_even_before_the_timer():
    state = run(kickoff(), ASKED)
    assert rejected(state, AcceptHandover("A2", P, "ar"), T0.replace(second=30)).kind == (
        "conflict"
    )


@pytest.mark.parametrize(
    ("setup", "fire", "now", "expected"),
    [
        pytest.param(
            ASKED,
            ExpireHandover(P, "ar", "h1"),
            at(0, 30),
            ["handover.expired"],
            id="pending and due",
        ),
        pytest.param(ASKED, ExpireHandover(P, "ar", "h1"), at(0, 29), [], id="not yet due"),
        pytest.param(ASKED, ExpireHandover(P, "ar", "h9"), at(1), [], id="other request"),
        pytest.param(
            [*ASKED, AcceptHandover("A2", P, "ar")],
            ExpireHandover(P, "ar", "h1"),
            at(1),
            [],
            id="already accepted",
        ),
        pytest.param([], ExpireHandover("gone", "ar", "h1"), at(1), [], id="unknown room"),
    ],
)
def test_expire(setup, fire, now, expected):
    state = run(kickoff(), setup)
    outcome = apply(state, fire, now)
    assert types(outcome.events) == expected
    again = apply(outcome.state, fire, now)
    assert again.events == [] and again.state == outcome.state
    assert outcome.state.channels[(P, "ar")].on_air == (state.channels[(P, "ar")].on_air)
