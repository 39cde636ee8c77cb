"""A pull of many events (a round opening: the round's variants, a ``room.moved`` per
person addressed to them and the moderators, channel events) sends each connection
exactly what judging the events one by one gives: the frames of the events it sees
as of each event (its own moves re-file it), each in its audience variant, in seq
order, as one write. The feed's window and index end as with events remembered one
at a time, and the fan-out latency is observed once per event."""

from __future__ import annotations

import asyncio
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from server.gateway.frames import LogEvent, encode_event, variant_of
from server.gateway.hub import SessionFeed
from tests.support.gateway_fakes import FastSocket, audience_targets, connection

AT = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)
ROOMS = ["plenary", "r1", "r2"]
PEOPLE = ["p0", "p1", "p2", "p3", "p4"]
ROLES = ["participant", "participant", "interpreter", "moderator", "observer"]
LANGS = ["ar", "ru"]


def _conn(i: int, pid: str, role: str, room: str, booth: str, listening: str | None):
    return connection(
        FastSocket(),
        pid,
        role,
        room=room,
        listening=listening,
        booth=booth,
        queue_max=1000,
        conn_id=f"c{i}-{pid}",
    )


targets = audience_targets(ROOMS, PEOPLE, LANGS)
moved = st.tuples(st.just("moved"), st.sampled_from(PEOPLE), st.sampled_from(ROOMS), st.booleans())
listening = st.tuples(
    st.just("listening"), st.sampled_from(PEOPLE), st.sampled_from([None, *LANGS])
)
broadcast = st.tuples(
    st.just("broadcast"), st.dictionaries(st.sampled_from(LANGS), st.just("tr"), max_size=2)
)
opened = st.tuples(
    st.just("opened"),
    st.dictionaries(st.sampled_from(ROOMS), st.lists(st.sampled_from(PEOPLE), max_size=3)),
)
other = st.tuples(st.just("other"), st.lists(targets, min_size=1, max_size=3))
events = st.lists(st.one_of(moved, moved, listening, broadcast, opened, other), max_size=30)
connections = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE),
        st.sampled_from(ROLES),
        st.sampled_from(ROOMS),
        st.sampled_from(LANGS),
        st.sampled_from([None, *LANGS]),
    ),
    min_size=1,
    max_size=8,
)


def _event(seq: int, spec: tuple) -> LogEvent:
    kind = spec[0]
    if kind == "moved":  # as a round opening stores them: the person and the moderators
        _, pid, to, with_rooms = spec
        data = {"person_id": pid, "from_room": "plenary", "to_room": to, "round_id": "r"}
        audience = [f"person:{pid}", "moderators"]
        if with_rooms:  # a single move: both rooms hear it
            audience = ["moderators", f"person:{pid}", "room:plenary", f"room:{to}"]
        return LogEvent(seq, "room.moved", "s", AT, None, data, audience)
    if kind == "listening":
        _, pid, lang = spec
        data = {"person_id": pid, "language": lang}
        return LogEvent(seq, "listening.changed", "s", AT, None, data, [f"person:{pid}"])
    if kind == "broadcast":
        data = {"text": f"b{seq}", "translations": spec[1]}
        return LogEvent(seq, "broadcast.message", "s", AT, None, data, ["session"])
    if kind == "opened":
        members = spec[1]
        data = {"round_id": "r", "counts": {r: len(m) for r, m in members.items()}}
        data["members"] = members
        return LogEvent(seq, "breakout.opened", "s", AT, None, data, ["session"])
    return LogEvent(seq, "chat.message", "s", AT, None, {"id": f"m{seq}"}, spec[1])


def _keys(ev: LogEvent) -> list[str]:
    """Where the index files ``ev``: its audience targets but ``moderators``, and
    ``self:<person>`` for a change of its person's own state."""
    keys = [t for t in ev.audience if t != "moderators"]
    if ev.type in ("room.moved", "listening.changed"):
        keys.append("self:" + ev.data["person_id"])
    return keys


def _expected(conn_spec: tuple, evs: list[LogEvent]) -> bytes:
    """What judging ``evs`` one at a time sends a fresh connection like ``conn_spec``."""
    conn = _conn(0, *conn_spec)
    out = []
    for ev in evs:
        if conn.sees(ev):
            variant = variant_of(ev, conn.listening, conn.person_id, conn.is_staff)
            out.append(encode_event(ev, variant))
        conn.observe(ev)
    return b"".join(out)


@settings(max_examples=300, deadline=None)
@given(connections, events, st.integers(min_value=1, max_value=40))
def test_a_pull_of_many_events_sends_what_one_by_one_judging_does(conn_specs, specs, window):
    evs = [_event(seq, spec) for seq, spec in enumerate(specs, start=1)]
    observed: list[float] = []

    async def run():
        feed = SessionFeed(db=None, session_id="s", head=0, recent_bytes=window * 400)

        class Hub:
            on_token_end = on_attach = None

            @staticmethod
            def on_fanout(seconds: list[float]) -> None:
                observed.extend(seconds)

        feed.hub = Hub()
        conns = [_conn(i, *spec) for i, spec in enumerate(conn_specs)]
        for conn in conns:
            await feed.attach(conn, 0)
        if evs:
            feed.offer(evs)
            await feed.pull()
        return feed, conns

    feed, conns = asyncio.run(run())
    for conn, spec in zip(conns, conn_specs, strict=True):
        want = _expected(spec, evs)
        assert conn.protocol.transport.writes == ([want] if want else [])
    assert len(observed) == len(evs)
    # the window: the newest events within the bounds, filed as one by one
    alone = SessionFeed(db=None, session_id="s", head=0, recent_bytes=window * 400)
    for ev in evs:
        alone.remember(ev)
    assert [e.seq for e in feed.recent] == [e.seq for e in alone.recent]
    assert feed.recent_bytes == alone.recent_bytes
    feed._index_up()  # filed as a replay reads it
    alone._index_up()
    index = {k: [e.seq for e in v] for k, v in feed.index.items()}
    assert index == {k: [e.seq for e in v] for k, v in alone.index.items()}
    for ev in feed.recent:
        for key in _keys(ev):
            assert ev in feed.index[key]


def test_latencies_of_a_pull_are_observed_as_each_one_would_be():
    from server.metrics import Metrics

    class State:
        hub = commands = None
        extra: dict = {}

    once, each = Metrics(State()), Metrics(State())
    lags = [0.0, 0.0005, 0.001, 0.03, 0.25, 0.0251, 20.0, *(0.003 * i for i in range(1200))]
    once.fanout_observed(lags)
    for seconds in lags:
        each.fanout_latency.observe(seconds)

    def samples(m: Metrics) -> dict:
        [metric] = m.fanout_latency.collect()
        return {
            (x.name, tuple(sorted(x.labels.items()))): x.value
            for x in metric.samples
            if not x.name.endswith("_created")
        }

    got, want = samples(once), samples(each)
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert abs(got[key] - value) < 1e-9, key


def test_room_variants_spliced_into_one_encoding_are_each_variants_own_encoding():
    from server.gateway.frames import STAFF, encode_variants

    members = {"r1": ["p1", "p2"], "r2": ["p3"], "r3": ['ü"\\'], "plenary": []}
    data = {"round_id": "r", "rooms": [{"id": "r1", "name": "Zürich 🎉"}], "members": members}
    data["counts"] = {"r1": 2, "r2": 1}
    for kind in ("breakout.opened", "breakout.closed"):
        ev = LogEvent(7, kind, "s", AT, "mod", data, ["session"])
        variants = [*members, None, "gone", STAFF]
        assert encode_variants(ev, variants) == {v: encode_event(ev, v) for v in variants}
    big = {**data, "rooms": [{"id": f"r{i}", "name": "x" * 300} for i in range(300)]}
    ev = LogEvent(8, "breakout.opened", "s", AT, None, big, ["session"])  # 16-bit, 64-bit lengths
    assert encode_variants(ev, ["r1", None]) == {v: encode_event(ev, v) for v in ["r1", None]}
    ev.data = {**big, "rooms": big["rooms"] * 250}
    assert encode_variants(ev, ["r2"]) == {"r2": encode_event(ev, "r2")}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 30), st.booleans()), max_size=12),
    st.integers(min_value=2, max_value=60),
)
def test_the_index_filed_when_read_is_the_window_by_keys(pulls, window):
    """Pulls of any size, a replay reading the index after some of them, a window
    that drops events before or after they were filed: the index, once read, is the
    window's events by key, in seq order."""
    feed = SessionFeed(db=None, session_id="s", head=0, recent_bytes=window * 400)
    seq = 0
    for size, read in pulls:
        for _ in range(size):
            seq += 1
            pid = PEOPLE[seq % len(PEOPLE)]
            feed._file(_event(seq, ("moved", pid, ROOMS[seq % 3], seq % 2 == 0)))
        feed._trim()
        feed.head = seq
        if read:
            feed._filed("session", 0, seq)
    feed._filed("session", 0, seq)
    want: dict[str, list[int]] = {}
    for ev in feed.recent:
        for key in _keys(ev):
            want.setdefault(key, []).append(ev.seq)
    assert {k: [e.seq for e in v] for k, v in feed.index.items()} == want
