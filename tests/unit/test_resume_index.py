"""A resume from the feed's memory reads only the index entries that could reach the
client (issue 19: a resume storm after a round opening was O(N^2)); it must send
exactly what a scan of every event sends, in the same order and variants, and place
the person where a walk through every event puts them."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from server.gateway.frames import LogEvent
from server.gateway.hub import SessionFeed
from tests.support.gateway_fakes import audience_targets, connection

ROOMS = ["plenary", "r1", "r2"]
PEOPLE = ["p0", "p1", "p2"]
LANGS = ["ar", "ru"]
AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


class Socket:
    """A client that keeps up and keeps what it was sent."""

    application_state = None

    def __init__(self) -> None:
        self.got: list[str] = []

    async def send_text(self, frame):
        self.got.append(frame)

    async def close(self, code, reason=""):
        return None


def _conn(pid: str, role: str, room: str | None, listening: str | None, booth: str):
    return connection(
        Socket(), pid, role, room=room, listening=listening, booth=booth, queue_max=10_000
    )


targets = audience_targets(ROOMS, PEOPLE, LANGS)
# (kind, person, room or language, audience): moves and channel changes of anyone,
# broadcasts with a translation, and events for a round's rooms (member variants)
events = st.lists(
    st.one_of(
        st.tuples(
            st.just("room.moved"),
            st.sampled_from(PEOPLE),
            st.sampled_from(ROOMS),
            st.lists(targets, max_size=2),
        ),
        st.tuples(
            st.just("listening.changed"),
            st.sampled_from(PEOPLE),
            st.sampled_from([None, *LANGS]),
            st.lists(targets, max_size=2),
        ),
        st.tuples(
            st.just("broadcast.message"),
            st.none(),
            st.none(),
            st.lists(targets, min_size=1, max_size=3),
        ),
        st.tuples(st.just("breakout.opened"), st.none(), st.none(), st.just(["session"])),
    ),
    max_size=30,
)


def _log(spec) -> list[LogEvent]:
    """The events, with each person's moves chained (``from_room``, ``previous``)."""
    room = {p: "plenary" for p in PEOPLE}
    heard: dict[str, str | None] = {p: None for p in PEOPLE}
    out = []
    for seq, (kind, pid, value, audience) in enumerate(spec, start=1):
        if kind == "room.moved":
            data = {"person_id": pid, "from_room": room[pid], "to_room": value}
            room[pid] = value
            audience = [*audience, f"person:{pid}", "moderators"]
        elif kind == "listening.changed":
            data = {"person_id": pid, "language": value, "previous": heard[pid]}
            heard[pid] = value
            audience = [*audience, f"person:{pid}"]
        elif kind == "broadcast.message":
            data = {"text": f"b{seq}", "translations": {"ar": f"b{seq} ar"}}
        else:
            data = {
                "round_id": "x",
                "members": {r: [p for p in PEOPLE if room[p] == r] for r in ROOMS},
            }
        out.append(LogEvent(seq, kind, "s", AT, None, data, sorted(set(audience))))
    return out


def _walk(log: list[LogEvent], pid: str, k: int):
    """Where ``pid`` was at ``k``, by walking every event (plenary, no channel at 0)."""
    room, listening = "plenary", None
    for ev in log:
        if ev.seq > k:
            break
        if ev.data.get("person_id") == pid:
            if ev.type == "room.moved":
                room = ev.data["to_room"]
            elif ev.type == "listening.changed":
                listening = ev.data["language"]
    return room, listening


@settings(max_examples=300, deadline=None)
@given(
    events,
    st.sampled_from(PEOPLE),
    st.sampled_from(["participant", "interpreter"]),  # staff replays scan the window
    st.sampled_from(LANGS),
    st.integers(min_value=0, max_value=30),
)
def test_a_replay_from_the_index_sends_what_a_full_scan_sends(spec, pid, role, booth, k):
    log = _log(spec)
    k = min(k, len(log))
    feed = SessionFeed(db=None, session_id="s", head=0)
    for ev in log:
        feed.remember(ev)
        feed.head = ev.seq
    room, listening = _walk(log, pid, k)

    # where the person was at k, from the index: their first move after k says it
    moved, changed = feed.place_as_of(pid, k)
    assert (moved.data["from_room"] if moved else _walk(log, pid, len(log))[0]) == room
    assert (changed.data["previous"] if changed else _walk(log, pid, len(log))[1]) == listening

    indexed = _conn(pid, role, room, listening, booth)
    scanned = _conn(pid, role, room, listening, booth)
    indexed.cursor = scanned.cursor = k
    feed._replay(indexed, k, [])
    for ev in [ev for ev in feed.recent if ev.seq > k]:  # every event, as a scan does
        feed._deliver(scanned, ev, {}, [])
    indexed.flush()  # as ``attach`` does
    scanned.flush()
    assert indexed.ws.got == scanned.ws.got
    assert (indexed.room_id, indexed.listening) == (scanned.room_id, scanned.listening)
    assert (indexed.room_id, indexed.listening) == _walk(log, pid, len(log))


def test_the_index_forgets_what_leaves_the_window():
    feed = SessionFeed(db=None, session_id="s", head=0, recent_bytes=2_000)
    for seq in range(1, 200):
        data = {"person_id": "p0", "from_room": "plenary", "to_room": "r1"}
        feed.remember(LogEvent(seq, "room.moved", "s", AT, None, data, ["person:p0"]))
        feed.head = seq
    kept = {ev.seq for ev in feed.recent}
    feed._index_up()  # filed as a replay reads it
    assert {ev.seq for ev in feed.index["self:p0"]} == kept
    assert {ev.seq for ev in feed.index["person:p0"]} == kept
    # a resume from before the window is not answered from memory
    assert feed.place_as_of("p0", min(kept) - 2) is None
