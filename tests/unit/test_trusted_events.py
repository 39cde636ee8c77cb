"""Events with nested models (a ``channel.updated``'s channel, the rooms of a
``breakout.opened``, the channels a ``room.moved`` carries) are stored without pydantic
too (issue 19): for every such event the domain makes, ``trusted`` gives the payload
and the typed event validation gives; a value that is not exactly a model's dump
goes through validation."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

import breakouts.events as bo_events
import interpretation.events as ip_events
from breakouts.model import RoomSpec, Unplaced
from interpretation.sources import Source
from interpretation.views import BoothSeat, ChannelView
from server.event_registry import SHAPES, coerce, trusted

ids = st.text("abc-", min_size=1, max_size=4)
langs = st.sampled_from(["en", "fr", "ar", "ru"])
sources = st.builds(Source, st.sampled_from(["floor", "interpreter", "relay"]), langs)
channels = st.builds(
    ChannelView,
    langs,
    st.none() | ids,
    st.none() | sources,
    st.integers(0, 2000),
    st.lists(st.builds(BoothSeat, ids, st.booleans()), max_size=3).map(tuple),
)
rooms = st.builds(
    RoomSpec, ids, ids, st.lists(langs, max_size=2).map(tuple), st.none() | st.integers(1, 50)
)
events = st.one_of(
    st.builds(
        ip_events.ChannelUpdated,
        room_id=ids,
        channel=channels,
        removed=st.booleans(),
        audience=st.just(("session",)),
    ),
    st.builds(
        bo_events.BreakoutOpened,
        round_id=ids,
        rooms=st.lists(rooms, max_size=4).map(tuple),
        ends_at=st.none(),
        strategy=st.sampled_from(["balanced", "manual"]),
        allow_return=st.booleans(),
        audience=st.just(("session",)),
    ),
    st.builds(
        bo_events.BreakoutPlanned,
        round_id=ids,
        changes=st.lists(
            st.builds(bo_events.PlanChange, ids, st.none() | ids, st.none() | ids), max_size=3
        ).map(tuple),
        unplaced=st.lists(st.builds(Unplaced, ids, ids), max_size=2).map(tuple),
        audience=st.just(("moderators",)),
    ),
)


def _moved_with(chs: list[ChannelView]) -> tuple[str, dict]:
    moved = bo_events.RoomMoved.make("p1", "plen", "r1")
    return moved.type, moved.data() | {"round_id": "k", "channels": [c.public() for c in chs]}


def _same_as_validated(type_: str, data: dict) -> None:
    fast = trusted(type_, data)
    assert fast is not None, type_
    ev = coerce(type_, data)
    assert orjson.dumps(fast[1]) == orjson.dumps(ev.model_dump(mode="json", by_alias=True))
    assert fast[0] == ev
    assert type(fast[0]) is type(ev)


def test_nested_fields_are_built_where_the_domain_makes_them():
    assert set(SHAPES["channel.updated"].nested) == {"channel"}
    assert set(SHAPES["room.moved"].nested) == {"channels"}
    assert set(SHAPES["breakout.opened"].nested) == {"rooms"}


@settings(deadline=None, max_examples=300)
@given(events)
def test_a_domain_event_with_nested_models_is_what_validation_makes(ev):
    _same_as_validated(ev.type, ev.data())


@settings(deadline=None, max_examples=100)
@given(st.lists(channels, max_size=3))
def test_a_move_carrying_its_rooms_channels_is_what_validation_makes(chs):
    _same_as_validated(*_moved_with(chs))


@settings(deadline=None, max_examples=100)
@given(channels, st.sampled_from(["reorder", "missing", "extra", "tuple"]))
def test_a_value_that_is_not_a_models_dump_is_validated(channel, how):
    data = ip_events.ChannelUpdated("r1", channel).data()
    ch = dict(data["channel"])
    if how == "reorder":
        ch = dict(reversed(list(ch.items())))
    elif how == "missing":
        ch.pop("booth")
    elif how == "extra":
        ch["volume"] = 3
    else:
        ch["booth"] = tuple(ch["booth"])
    assert trusted("channel.updated", {**data, "channel": ch}) is None
