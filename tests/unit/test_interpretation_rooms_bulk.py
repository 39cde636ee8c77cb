"""``open_rooms``/``close_rooms`` settle a round's rooms at once and end where
opening or closing them one by one ends (a test that fails if the bulk path
forgets a rule the single steps apply)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import interpretation as ip
from interpretation import serialization

NOW = dt.datetime(2021, 8, 31, 12, 0, tzinfo=dt.UTC)
ROOMS = [f"r{i}" for i in range(5)]
PEOPLE = [f"p{i}" for i in range(6)]


def _session(people: list[tuple[str, str | None]]):
    state = ip.new_session("plenary", "en", ("ar", "ru"), NOW)
    interprets = {"p0": ("en>ar", "ar>en"), "p1": ("en>ru",)}
    newcomers = [
        ip.Newcomer(pid, interprets.get(pid, ()), lang, "plenary", True) for pid, lang in people
    ]
    return ip.add_people(state, newcomers, NOW).state


rooms = st.lists(
    st.tuples(
        st.sampled_from(ROOMS),
        st.lists(st.sampled_from(["ar", "ru", "en"]), max_size=2).map(tuple),
    ),
    unique_by=lambda r: r[0],
    min_size=1,
)
people = st.lists(
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from([None, "en", "ar", "ru"])),
    unique_by=lambda p: p[0],
)
moves = st.dictionaries(st.sampled_from(PEOPLE), st.sampled_from(ROOMS))


def _canonical(value):
    """Order-free: rooms opened together have no order among themselves."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=repr)
    return value


def _same(a, b) -> None:
    assert _canonical(serialization.to_dict(a)) == _canonical(serialization.to_dict(b))


@settings(max_examples=150, deadline=None)
@given(rooms, people, moves)
def test_a_round_opened_and_closed_at_once_equals_one_room_at_a_time(opened, who, moved):
    state = _session(who)
    bulk = ip.open_rooms(state, opened, NOW).state
    single = state
    for rid, langs in opened:
        single = ip.open_room(single, rid, langs, NOW).state
    _same(bulk, single)
    ids = {rid for rid, _ in opened}
    placed = {pid: rid for pid, rid in moved.items() if rid in ids and pid in state.members}
    if placed:
        bulk = single = ip.move_people(bulk, placed, NOW).state
    closed = ip.close_rooms(bulk, [rid for rid, _ in opened], NOW)
    for rid, _ in opened:
        single = ip.close_room(single, rid, NOW).state
    _same(closed.state, single)
    assert set(closed.state.rooms) == {"plenary"}
    assert all(m.room_id in (None, "plenary") for m in closed.state.members.values())


def test_opening_a_round_names_the_room_and_language_it_cannot_carry():
    state = _session([])
    with pytest.raises(ip.InterpretationError, match="r1 cannot carry 'de'"):
        ip.open_rooms(state, [("r0", ("ar",)), ("r1", ("de",))], NOW)
    with pytest.raises(ip.InterpretationError, match="already open"):
        ip.open_rooms(state, [("r0", ()), ("r0", ())], NOW)
