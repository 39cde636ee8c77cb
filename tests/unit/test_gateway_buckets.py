"""The fan-out finds an event's recipients by bucket (staff, room, person) instead of
asking every connection; it must pick exactly the connections that see the event,
also after people moved."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from server.gateway.frames import LogEvent
from server.gateway.hub import SessionFeed
from tests.support.gateway_fakes import audience_targets, connection

ROOMS = ["plenary", "r1", "r2"]
PEOPLE = ["p0", "p1", "p2", "p3"]
ROLES = ["participant", "interpreter", "moderator", "observer"]


class Socket:
    application_state = None

    async def send_text(self, frame):  # a client that keeps up
        return None

    async def close(self, code, reason=""):
        return None


def _conn(pid, role, room, booth):
    return connection(Socket(), pid, role, room=room, booth=booth, conn_id=f"c-{pid}-{room}")


targets = audience_targets(ROOMS, PEOPLE, ["ar", "ru"])
connections = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE),
        st.sampled_from(ROLES),
        st.sampled_from(ROOMS),
        st.sampled_from(["ar", "ru"]),
    ),
    max_size=8,
)
moves = st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(ROOMS)), max_size=5)


@settings(max_examples=300, deadline=None)
@given(connections, moves, st.lists(targets, min_size=1, max_size=3))
def test_recipients_are_exactly_who_sees_the_event(conns, moved, audience):
    feed = SessionFeed(db=None, session_id="s", head=0)
    for pid, role, room, booth in conns:
        c = _conn(pid, role, room, booth)
        feed.conns.add(c)
        if c.is_staff:
            feed.staff.add(c)
        feed.by_room.setdefault(c.room_id, set()).add(c)
        feed.by_person.setdefault(c.person_id, set()).add(c)
    seq = 0
    now = dt.datetime.now(dt.UTC)
    for pid, room in moved:  # each person's own move reaches and re-files them
        seq += 1
        ev = LogEvent(
            seq,
            "room.moved",
            "s",
            now,
            None,
            {"person_id": pid, "from_room": None, "to_room": room},
            [f"person:{pid}", "moderators"],
        )
        feed._dispatch(ev, [])
    ev = LogEvent(seq + 1, "broadcast.message", "s", now, None, {"text": "x"}, audience)
    assert feed.recipients(ev) == {c for c in feed.conns if c.sees(ev)}
    for c in feed.conns:  # the buckets follow the moves
        assert c in feed.by_room[c.room_id]
