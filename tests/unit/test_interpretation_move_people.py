"""Moving many people in one step equals moving them one by one."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

import interpretation as ip
from interpretation import serialization

NOW = dt.datetime(2021, 8, 31, 12, 0, tzinfo=dt.UTC)
ROOMS = ["plenary", "r-ar", "r-ru", "r-en"]


def _session():
    s = ip.new_session("plenary", "en", ["ar", "ru"], NOW)
    s = ip.open_room(s, "r-ar", ["ar"], NOW).state
    s = ip.open_room(s, "r-ru", ["ru"], NOW).state
    s = ip.open_room(s, "r-en", [], NOW).state
    people = [("i-ar", ["en>ar", "ar>en"]), ("i-ru", ["en>ru"])]
    for pid, directions in people:
        s = ip.add_person(s, pid, NOW, interprets=directions).state
        s = ip.move_person(s, pid, "plenary", NOW).state
    for n, lang in enumerate(["ar", "ru", "en", "ar", "ru", "en"]):
        s = ip.add_person(s, f"p{n}", NOW, listening=lang).state
        s = ip.move_person(s, f"p{n}", "plenary", NOW).state
    s = ip.go_on_air(s, "i-ar", "plenary", "ar", NOW).state
    return s


def _last_samples(samples):
    last = {}
    for sample in samples:
        last[(sample["room_id"], sample["language"])] = sample["listeners"]
    return {k: v for k, v in last.items() if v}


PIDS = ["i-ar", "i-ru"] + [f"p{n}" for n in range(6)]


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(PIDS), st.sampled_from(ROOMS), max_size=8))
def test_batch_equals_one_by_one(moves):
    start = _session()
    one = start
    for pid, room in moves.items():
        one = ip.move_person(one, pid, room, NOW).state
    batch = ip.move_people(start, moves, NOW)
    a, b = serialization.to_dict(batch.state), serialization.to_dict(one)
    # listener samples (for the report) are taken per step: compare where they end
    assert _last_samples(a.pop("samples")) == _last_samples(b.pop("samples"))
    assert a == b
    # listeners who lost their channel are told, in the batch as one by one
    told = {e.data()["person_id"] for e in batch.events if e.type == "listening.changed"}
    for pid, room in moves.items():
        before = start.members[pid]
        if before.listening and before.listening not in one.room_languages(room):
            assert pid in told


def test_unknown_room_changes_nothing():
    import pytest

    start = _session()
    with pytest.raises(ip.InterpretationError):
        ip.move_people(start, {"p0": "r-ar", "p1": "nowhere"}, NOW)
