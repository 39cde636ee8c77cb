"""The pure mapping from Convene state to AudioBridge rooms, under hypothesis: whoever
a client's ticket sends somewhere is allowed there, a channel room carries exactly its
live interpreter, and a listener hears the room that carries their channel."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.media import tickets
from server.media.topology import (
    Channel,
    MediaState,
    Person,
    Room,
    channel_room,
    desired,
    floor_room,
    placement,
)

LANGS = ("en", "ar", "ru")
ROLES = ("moderator", "participant", "interpreter", "observer")


@st.composite
def states(draw):
    room_ids = draw(st.lists(st.sampled_from(["plenary", "b1", "b2"]), min_size=1, unique=True))
    pids = [f"p{i}" for i in range(draw(st.integers(1, 8)))]
    people = {
        pid: Person(
            pid,
            draw(st.sampled_from(ROLES)),
            draw(st.sampled_from([*room_ids, None, "closed"])),
            draw(st.sampled_from([*LANGS, None, "fr"])),
        )
        for pid in pids
    }
    rooms = {}
    for rid in room_ids:
        floor = draw(st.sampled_from(LANGS))
        langs = draw(st.lists(st.sampled_from(LANGS), min_size=1, unique=True)) + [floor]
        chans = {}
        for lang in dict.fromkeys(langs):
            if lang == floor:
                kind, src = "floor", floor
            else:
                kind = draw(st.sampled_from(["interpreter", "relay", None]))
                src = None if kind is None else draw(st.sampled_from(LANGS))
            booth = tuple(draw(st.lists(st.sampled_from(pids), unique=True, max_size=2)))
            on_air = draw(st.sampled_from([None, *booth])) if kind not in (None, "floor") else None
            chans[lang] = Channel(lang, on_air, kind, src, booth)
        rooms[rid] = Room(rid, floor, chans)
    speakers = {rid: draw(st.sampled_from(pids)) for rid in room_ids if draw(st.booleans())}
    return MediaState(rooms, people, "en", speakers)


@given(states())
def test_everyone_is_allowed_exactly_in_their_own_rooms_audio(state):
    plan = desired(state)
    for audio in plan.values():
        expected = {
            p.id
            for p in state.people.values()
            if p.room_id == audio.convene_room and p.role != "observer"
        }
        assert audio.allowed == expected
        assert audio.unmuted <= audio.allowed


@given(states())
def test_a_channel_room_carries_its_live_interpreter_only(state):
    plan = desired(state)
    for rid, room in state.rooms.items():
        for lang, ch in room.channels.items():
            voices = plan[channel_room(rid, lang)].unmuted
            assert len(voices) <= 1
            if voices:
                assert voices == {ch.on_air} and ch.source_kind in ("interpreter", "relay")
        floor = plan[floor_room(rid)].unmuted
        for pid in floor:
            assert state.people[pid].role == "moderator" or state.speakers.get(rid) == pid


@given(states())
def test_a_ticket_only_sends_a_client_where_it_is_allowed(state):
    plan = desired(state)
    for pid, person in state.people.items():
        where = placement(state, pid)
        if person.role == "observer" or person.room_id not in state.rooms:
            assert where is None
            continue
        for audio in (where.listen, *where.speak):
            assert pid in plan[audio].allowed
        live = [
            ch
            for ch in state.rooms[person.room_id].channels.values()
            if ch.on_air == pid and pid in ch.booth and ch.source_kind in ("interpreter", "relay")
        ]
        if live:  # a live interpreter speaks where they are the voice
            assert any(plan[r].unmuted == {pid} for r in where.speak)


@given(states())
def test_a_listener_hears_the_room_that_carries_their_channel(state):
    for pid, person in state.people.items():
        where = placement(state, pid)
        if where is None or any(
            pid in ch.booth for ch in state.rooms[person.room_id].channels.values()
        ):
            continue
        room = state.rooms[person.room_id]
        ch = room.channels[where.language]
        if person.listening in room.channels:
            assert where.language == person.listening  # their choice, where the room has it
        if ch.source_kind == "floor":
            assert where.listen == floor_room(room.id)
        else:
            assert where.listen == channel_room(room.id, where.language)


def test_the_arabic_listener_follows_the_arabic_booth_into_a_breakout_room():
    state = MediaState(
        rooms={
            "b1": Room(
                "b1",
                "en",
                {
                    "en": Channel("en", None, "floor", "en"),
                    "ar": Channel("ar", "ar1", "interpreter", "en", ("ar1",)),
                },
            )
        },
        people={
            "l": Person("l", "participant", "b1", "ar"),
            "ar1": Person("ar1", "interpreter", "b1"),
        },
        default_language="en",
    )
    assert placement(state, "l").listen == "b1/ar"
    assert desired(state)["b1/ar"].unmuted == {"ar1"}
    interp = placement(state, "ar1")
    assert interp.listen == "b1/floor" and interp.speak == ("b1/ar",)


def test_a_relay_interpreter_hears_the_channel_they_work_from():
    state = MediaState(
        rooms={
            "r": Room(
                "r",
                "ar",
                {
                    "ar": Channel("ar", None, "floor", "ar"),
                    "en": Channel("en", "a", "interpreter", "ar", ("a",)),
                    "ru": Channel("ru", "r1", "relay", "en", ("r1",)),
                },
            )
        },
        people={"a": Person("a", "interpreter", "r"), "r1": Person("r1", "interpreter", "r")},
        default_language="en",
    )
    assert placement(state, "r1").listen == "r/en"
    assert placement(state, "a").listen == "r/floor"


def test_tickets_differ_by_person_room_and_generation():
    base = tickets.join_token("s", "p", "r/floor", 1)
    assert base == tickets.join_token("s", "p", "r/floor", 1)
    others = {
        tickets.join_token("s", "q", "r/floor", 1),
        tickets.join_token("s", "p", "r/ar", 1),
        tickets.join_token("s", "p", "r/floor", 2),
        tickets.join_token("t", "p", "r/floor", 1),
    }
    assert base not in others and len(others) == 4
    assert tickets.participant_id("s", "p", "r/floor", 1) != base
