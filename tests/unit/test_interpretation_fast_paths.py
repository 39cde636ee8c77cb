"""The domain's fast paths (taken because a round moves a thousand people at once)
give exactly what the general code they stand for gives."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import given
from hypothesis import strategies as st

from interpretation.state import Member

ids = st.text("abc", min_size=1, max_size=3)
maybe = st.none() | ids
# every field varied, so a field added to Member and forgotten by a shortcut fails
members = st.fixed_dictionaries(
    {f.name: st.none() | st.booleans() | ids for f in fields(Member)}
).map(lambda kw: Member(**kw))


@given(members, maybe)
def test_a_member_moved_or_hearing_is_the_member_replaced(member, value):
    assert member.in_room(value) == replace(member, room_id=value)
    assert member.hearing(value) == replace(member, listening=value)


def _random_state(seed: int):
    import datetime as dt
    import random

    import interpretation as ip

    rnd = random.Random(seed)
    now = dt.datetime(2030, 1, 1, 10, tzinfo=dt.UTC)
    s = ip.new_session("plen", "en", ["fr", "de"], now)
    people = [
        ip.Newcomer(f"p{i}", (), rnd.choice([None, "en", "fr", "de", "ar"]), "plen", True)
        for i in range(30)
    ]
    s = ip.add_people(s, people, now).state
    s = ip.open_rooms(s, [("r1", ("fr",)), ("r2", ()), ("r3", ("de", "fr"))], now).state
    moves = {f"p{i}": rnd.choice(["plen", "r1", "r2", "r3"]) for i in range(30)}
    return ip.move_people(s, moves, now).state


@given(st.integers(0, 10_000))
def test_listener_counts_counted_once_equal_a_fresh_count(seed):
    from collections import Counter

    from interpretation.state import with_samples

    s = _random_state(seed)
    heard = Counter((m.room_id, m.listening) for m in s.members.values() if m.room_id)
    fresh = {key: heard.get(key, 0) for key in s.channels}
    assert s.listener_counts == fresh
    assert list(s.listener_counts) == list(s.channels)  # in channel order
    assert with_samples(s, ()).listener_counts == fresh
