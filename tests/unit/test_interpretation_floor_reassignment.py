"""Property-based: after a floor change the live interpreters are reassigned by the
contract's rule ("Channels after a floor change"), over random booths, directions,
listeners and floor sequences. Checked from the rule's properties, with a brute
force of every assignment for optimality, not by calling ``assign_live`` again."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interpretation import (
    InterpretationError,
    Interpreter,
    add_person,
    apply,
    channels_view,
    connection_changed,
    move_person,
    new_session,
    pending_timers,
)
from interpretation.assignment import assign_live
from interpretation.commands import AcceptHandover, DropoutDue, GoOnAir, SetFloor, SetLanguages

from .test_interpretation_helpers import T0, P, at, rejected

LANGS = ["en", "ar", "ru", "de"]
directions = st.lists(
    st.tuples(st.sampled_from(LANGS), st.sampled_from(LANGS))
    .filter(lambda d: d[0] != d[1])
    .map(lambda d: f"{d[0]}>{d[1]}"),
    min_size=1,
    max_size=3,
    unique=True,
)


def covered(floor: str, placed: dict[str, Interpreter], listened: set[str]) -> int | None:
    """Listened channels with a source (the floor, an interpreter from the floor, or a
    relay from a channel interpreted from the floor); None when someone placed has
    nothing to interpret."""
    direct = {lang for lang, i in placed.items() if i.can(floor, lang)}
    relayed = {lang for lang, i in placed.items() if any(i.can(h, lang) for h in direct)}
    if set(placed) - direct - relayed:
        return None
    return len(listened & ({floor} | direct | relayed))


def best_assignment(floor: str, live: dict[str, tuple[str, Interpreter]], listened: set[str]):
    """Over every assignment of the live interpreters to the non-floor channels (or off
    air): the most listened channels covered, then the most on air, then the most on
    their own channel."""
    people = sorted(live)
    options = [
        [None, *(lg for lg in LANGS if lg != floor and live[pid][1].works_into(lg))]
        for pid in people
    ]
    best = (0, 0, 0)
    for choice in itertools.product(*options):
        placed = [lang for lang in choice if lang is not None]
        if len(placed) != len(set(placed)):
            continue
        assignment = {lang: live[pid][1] for lang, pid in zip(choice, people, strict=True) if lang}
        got = covered(floor, assignment, listened)
        if got is None:
            continue
        staying = sum(1 for lang, pid in zip(choice, people, strict=True) if live[pid][0] == lang)
        best = max(best, (got, len(placed), staying))
    return best


def live_map(state) -> dict[str, str]:
    return {ch.on_air: key.language for key, ch in state.channels.items() if ch.on_air}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    booths=st.lists(directions, min_size=1, max_size=4),
    on_air=st.lists(st.sampled_from(LANGS), min_size=4, max_size=4),
    listened=st.sets(st.sampled_from(LANGS)),
    floors=st.lists(st.sampled_from(LANGS), min_size=1, max_size=4),
)
def test_a_floor_change_keeps_the_live_ones_covering_the_most_listened_channels(
    booths, on_air, listened, floors
):
    state = new_session(P, "en", LANGS[1:], T0)
    people = {f"i{n}": dirs for n, dirs in enumerate(booths)}
    for pid, dirs in people.items():
        state = add_person(state, pid, T0, interprets=dirs).state
        state = move_person(state, pid, P, T0).state
        state = connection_changed(state, pid, True, T0).state
    for lang in sorted(listened):
        state = add_person(state, f"l_{lang}", T0, listening=lang).state
        state = move_person(state, f"l_{lang}", P, T0).state
    for pid, lang in zip(people, on_air, strict=False):
        try:
            state = apply(state, GoOnAir(pid, P, lang), T0).state
        except InterpretationError:
            pass
    client = {
        (room["room_id"], ch["language"]): ch["on_air"]
        for room in channels_view(state)["rooms"]
        for ch in room["channels"]
    }

    for step, floor in enumerate(floors, 1):
        if floor == state.rooms[P].floor_language:
            continue  # not a change: nothing moves
        before = live_map(state)
        outcome = apply(state, SetFloor(P, floor), at(step))
        state = outcome.state
        after = live_map(state)
        channels = {key.language: ch for key, ch in state.channels.items()}

        # nobody who was off air goes on air
        assert set(after) <= set(before), (before, after)
        for pid, lang in after.items():
            source = channels[lang].source
            interpreter = state.interpreters[pid]
            # every live interpreter has a direction into their channel from its source
            assert source is not None, f"{pid} live on {lang} with nothing to interpret"
            assert interpreter.can(source.language, lang), (pid, lang, source)
            if source.kind == "interpreter":
                assert source.language == floor
            else:  # every chain reaches the floor in two hops at most
                assert source.kind == "relay"
                assert channels[source.language].source.kind == "interpreter"
        # no other assignment of the same interpreters covers more listened channels
        # (nor, covering as many, keeps more on air, or more on their own channel)
        live = {pid: (lang, state.interpreters[pid]) for pid, lang in before.items()}
        heard = set(listened)
        got = sum(1 for lang in heard if channels[lang].source is not None)
        staying = sum(1 for pid, lang in after.items() if before[pid] == lang)
        best = best_assignment(floor, live, heard)
        assert (got, len(after), staying) == best, (floor, before, after)
        # every listened channel left without a source is announced
        announced = {e.language for e in outcome.events if e.type == "channel.uncovered"}
        silent = {lang for lang in heard if channels[lang].source is None}
        assert silent <= announced
        # at no event is anyone live on two channels
        for event in outcome.events:
            if event.type == "channel.updated":
                client[(event.room_id, event.channel.language)] = event.channel.on_air
                speaking = [pid for pid in client.values() if pid]
                assert len(speaking) == len(set(speaking)), f"live twice at {event}"
        assert client == {
            (key.room_id, key.language): ch.on_air for key, ch in state.channels.items()
        }


def test_the_arabic_booth_relays_when_russian_takes_the_floor_after_arabic():
    arabic = Interpreter.of("A", ["en>ar", "ar>en"])
    russian = Interpreter.of("R", ["en>ru", "ru>en"])
    live = {"A": ("en", arabic), "R": ("ru", russian)}  # floor was ar: A gave the retour
    plan = assign_live("ru", ["en", "ar", "ru"], live, {"en", "ar"}, pivot="en")
    assert plan == {"R": "en", "A": "ar"}


def test_interpreters_stay_on_their_channel_when_nothing_is_gained_by_moving():
    both = Interpreter.of("B", ["en>ar", "en>de"])
    live = {"B": ("de", both)}
    assert assign_live("en", ["en", "ar", "de"], live, set(), pivot="en") == {"B": "de"}
    # ... but move where listeners are
    assert assign_live("en", ["en", "ar", "de"], live, {"ar"}, pivot="en") == {"B": "ar"}


def test_a_swap_shows_one_channel_vacated_first():
    """Two interpreters who must trade channels: at no seq is either live twice."""
    state = new_session(P, "en", ["ar", "de", "ru"], T0)
    for pid, dirs in {"X": ["en>ar", "ru>de"], "Y": ["en>de", "ru>ar"]}.items():
        state = add_person(state, pid, T0, interprets=dirs).state
        state = move_person(state, pid, P, T0).state
    for pid, lang in {"ar1": "ar", "de1": "de"}.items():
        state = add_person(state, pid, T0, listening=lang).state
        state = move_person(state, pid, P, T0).state
    state = apply(state, GoOnAir("X", P, "ar"), T0).state
    state = apply(state, GoOnAir("Y", P, "de"), T0).state

    outcome = apply(state, SetFloor(P, "ru"), at(1))
    assert live_map(outcome.state) == {"X": "de", "Y": "ar"}
    steps = [
        (e.type, e.channel.language, e.channel.on_air) if e.type == "channel.updated" else e.type
        for e in outcome.events
        if e.type in ("channel.updated", "channel.uncovered")
    ]
    assert steps == [
        ("channel.updated", "en", None),  # the floor moved away from English
        ("channel.updated", "ru", None),  # ... to Russian
        "channel.uncovered",  # for an instant nobody speaks Arabic: the moderators know
        ("channel.updated", "ar", None),
        ("channel.updated", "de", "X"),
        ("channel.updated", "ar", "Y"),
    ], steps


def test_a_patch_that_drops_the_floor_language_and_adds_another_reassigns_onto_it():
    """Russian on the floor is dropped while German is added: the floor returns to
    English and the live interpreter may take the new German channel at once."""
    state = new_session(P, "en", ["ar", "ru"], T0)
    for pid, dirs in {"X": ["ru>en"], "Y": ["en>ar", "en>de", "ru>ar"]}.items():
        state = add_person(state, pid, T0, interprets=dirs).state
        state = move_person(state, pid, P, T0).state
    state = add_person(state, "berlin", T0, listening="de").state  # not offered yet
    state = move_person(state, "berlin", P, T0).state
    state = apply(state, SetFloor(P, "ru"), T0).state
    state = apply(state, GoOnAir("X", P, "en"), T0).state
    state = apply(state, GoOnAir("Y", P, "ar"), T0).state

    state = apply(state, SetLanguages(("ar", "de")), at(1)).state
    assert state.rooms[P].floor_language == "en"
    assert live_map(state) == {"Y": "de"}
    assert state.members["berlin"].listening == "de"


def test_an_interpreter_moved_during_their_dropout_grace_still_goes_off_air():
    state = new_session(P, "en", ["ar", "ru"], T0)
    state = add_person(state, "A", T0, interprets=["en>ar", "ar>en"]).state
    state = move_person(state, "A", P, T0).state
    state = connection_changed(state, "A", True, T0).state
    state = apply(state, GoOnAir("A", P, "ar"), T0).state
    state = connection_changed(state, "A", False, at(0, 1)).state  # the grace starts
    state = apply(state, SetFloor(P, "ar"), at(0, 2)).state  # A moves to the retour
    assert live_map(state) == {"A": "en"}
    assert state.dropouts["A"].language == "en", "the dropout was forgotten when A moved"
    timer = next(t for t in pending_timers(state) if isinstance(t.command, DropoutDue))
    state = apply(state, timer.command, timer.due).state
    assert live_map(state) == {}


def test_a_dropout_handover_to_a_channel_the_floor_now_speaks_is_cancelled():
    """Found by the invariants' state machine: A's dropout left the English channel of
    an Arabic floor waiting for a partner; the floor went back to English, whose channel
    now carries the floor itself, and the partner accepting went live on it."""
    state = new_session(P, "en", ["ar", "ru"], T0)
    for pid, dirs in {"A": ["de>en"], "B": ["en>ar", "ar>en"]}.items():
        state = add_person(state, pid, T0, interprets=dirs).state
        state = move_person(state, pid, P, T0).state
        state = connection_changed(state, pid, True, T0).state
    state = apply(state, SetFloor(P, "ar"), T0).state
    state = apply(state, GoOnAir("B", P, "en"), T0).state
    state = connection_changed(state, "B", False, at(0, 1)).state
    timer = next(t for t in pending_timers(state) if isinstance(t.command, DropoutDue))
    state = apply(state, timer.command, timer.due).state
    (request,) = state.handovers.values()  # B's channel waits for a partner
    assert (request.language, request.reason) == ("en", "dropout")

    outcome = apply(state, SetFloor(P, "en"), at(1))
    assert outcome.state.handovers == {}
    cancelled = [e.data() for e in outcome.events if e.type == "handover.cancelled"]
    assert [(c["request_id"], c["reason"]) for c in cancelled] == [
        (request.request_id, "floor_changed")
    ]
    error = rejected(outcome.state, AcceptHandover(request.to_id, P, "en"), at(1, 10))
    assert live_map(outcome.state) == {}
    assert error.detail
