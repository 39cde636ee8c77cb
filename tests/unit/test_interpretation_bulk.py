"""``add_people`` settles once what ``add_person``, ``move_person`` and
``connection_changed`` give one by one: the same state, whatever the people (a
test that fails if the bulk path forgets a rule the single steps apply)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

import interpretation as ip
from interpretation import serialization

NOW = dt.datetime(2021, 8, 31, 12, 0, tzinfo=dt.UTC)
DIRECTIONS = ["en>ar", "ar>en", "en>ru", "ru>en"]


def _session():
    return ip.new_session("plenary", "en", ("ar", "ru"), NOW)


newcomers = st.lists(
    st.builds(
        ip.Newcomer,
        person_id=st.sampled_from([f"p{i}" for i in range(8)]),
        interprets=st.lists(st.sampled_from(DIRECTIONS), max_size=2, unique=True).map(tuple),
        listening=st.sampled_from([None, "en", "ar", "ru", "de"]),
        room_id=st.sampled_from([None, "plenary"]),
        online=st.booleans(),
    ),
    max_size=10,
)


@settings(max_examples=200, deadline=None)
@given(newcomers)
def test_add_people_equals_one_by_one(people):
    state = _session()
    one = state
    for p in people:
        one = ip.add_person(
            one, p.person_id, NOW, interprets=p.interprets, listening=p.listening
        ).state
        if p.room_id is not None:
            one = ip.move_person(one, p.person_id, p.room_id, NOW).state
        if p.online:
            one = ip.connection_changed(one, p.person_id, True, NOW).state
    bulk = ip.add_people(state, people, NOW).state
    a, b = serialization.to_dict(bulk), serialization.to_dict(one)
    # the listener history differs only by the intermediate samples one by one records
    # at the same instant: the last count of each channel is the same
    assert _last_counts(a.pop("samples")) == _last_counts(b.pop("samples"))
    assert a == b


def _last_counts(samples):
    return {(x["room_id"], x["language"]): x["listeners"] for x in samples}
