"""The domain's fast paths (taken because a round moves a thousand people at once)
give exactly what the general code they stand for gives."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import given, settings
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


@settings(deadline=None)
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


def _scenario(seed: int):
    """A seeded walk of commands (rooms, moves, on air, languages) over a small event:
    the states each step leaves, before and after."""
    import datetime as dt
    import random

    import interpretation as ip
    from interpretation import commands as cmd

    rnd = random.Random(seed)
    now = dt.datetime(2030, 1, 1, 10, tzinfo=dt.UTC)
    langs = ["en", "fr", "de", "ar"]
    s = ip.new_session("plen", "en", rnd.sample(langs[1:], rnd.randint(0, 3)), now)
    pids = [f"p{i}" for i in range(12)]
    people = [
        ip.Newcomer(
            pid,
            tuple({f"{a}>{b}" for a in langs for b in langs if a != b and rnd.random() < 0.15})
            if rnd.random() < 0.4
            else (),
            rnd.choice([None, *langs]),
            "plen",
            rnd.random() < 0.8,
        )
        for pid in pids
    ]
    s = ip.add_people(s, people, now).state
    rooms, opened = ["plen"], 0
    for _ in range(40):
        k = rnd.random()
        if k < 0.15:
            opened += 1
            c = cmd.OpenRooms(((f"r{opened}", tuple(rnd.sample(langs, rnd.randint(0, 2)))),))
        elif k < 0.4:
            c = cmd.MovePeople(tuple((p, rnd.choice(rooms)) for p in rnd.sample(pids, 4)))
        elif k < 0.5 and len(rooms) > 1:
            c = cmd.CloseRooms((rnd.choice(rooms[1:]),))
        elif k < 0.8:
            c = cmd.GoOnAir(rnd.choice(pids), rnd.choice(rooms), rnd.choice(langs))
        elif k < 0.9:
            c = cmd.SetFloor(rnd.choice(rooms), rnd.choice(langs))
        else:
            c = cmd.SetLanguages(tuple(rnd.sample(langs[1:], rnd.randint(0, 3))))
        try:
            after = ip.apply(s, c, now).state
        except ip.InterpretationError:
            continue
        yield s, after
        rooms = [r for r in after.rooms]
        s = after


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_a_channel_skipped_by_finish_has_the_routing_it_had(seed):
    from interpretation.state import ChannelKey
    from interpretation.transition import booths_changed
    from interpretation.views import channel_view

    for old, new in _scenario(seed):
        reboothed = booths_changed(old, new)
        for key, channel in new.channels.items():
            if key in old.channels and old.channels[key] == channel:
                if key.room_id not in reboothed:
                    before = channel_view(old, ChannelKey(*key)).routing()
                    assert channel_view(new, key).routing() == before


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_what_the_server_stores_reads_back_and_is_plain_json(seed):
    # the server reuses the state it stored when the row still holds the same dict,
    # and stores the channels view as it is (no instants to format)
    import interpretation as ip
    from interpretation import serialization
    from server.jsonish import utc_json

    for _, state in _scenario(seed):
        assert serialization.from_dict(serialization.to_dict(state)) == state
        view = ip.channels_view(state)
        assert utc_json(view) == view
        assert "datetime" not in repr(view)
