"""The session view follows the log one seq at a time: arrivals and presence of
people it knows (interpreters aside) move it on; anything else, a newcomer or a gap
ends it, and leaves it exactly as it was at its seq (a handshake holding it still
builds a snapshot of that seq)."""

from __future__ import annotations

import copy
import datetime as dt
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from server.gateway.frames import LogEvent
from server.gateway.session_view import SessionView

PLENARY, ROOM = "plenary", "room-a"
ROLES = {"p1": "participant", "p2": "participant", "mod": "moderator", "ar1": "interpreter"}
PEOPLE = [*ROLES, "newcomer"]
KINDS = ["arrived", "moved", "presence.joined", "presence.left", "chat.message", "hand.raised"]


def _view() -> SessionView:
    s = SimpleNamespace(id="s", seq=10, event_id="e")
    base = {"event": None, "rooms": []}
    return SessionView(s, base, {}, {"p1": (ROOM, "ar")}, {"p1"}, dict(ROLES), "", born=0.0)


def _event(seq: int, kind: str, person: str) -> LogEvent:
    at = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    if kind in ("arrived", "moved"):
        data = {"person_id": person, "from_room": None if kind == "arrived" else ROOM}
        return LogEvent(seq, "room.moved", "s", at, person, {**data, "to_room": PLENARY}, [])
    return LogEvent(seq, kind, "s", at, person, {"person_id": person}, [])


def _counted(placements: dict, online: set) -> tuple[dict, dict]:
    """Members and people online per room, counted afresh (rooms with none left out)."""
    counts: dict = {}
    here: dict = {}
    for pid, (room, _) in placements.items():
        if room is not None:
            counts[room] = counts.get(room, 0) + 1
        if pid in online:
            here[room] = here.get(room, 0) + 1
    return counts, here


def _follows(kind: str, person: str) -> bool:
    if kind in ("chat.message",):
        return True
    if kind in ("arrived", "presence.joined", "presence.left"):
        return ROLES.get(person) not in (None, "interpreter")
    return False


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(PEOPLE)), max_size=12),
    st.booleans(),
)
def test_it_follows_what_it_understands_and_stops_unchanged_at_the_rest(steps, gap):
    view = _view()
    placements, online = dict(view.placements), set(view.online)
    seq = view.seq
    for i, (kind, person) in enumerate(steps):
        skip = gap and i == len(steps) - 1  # the last event comes after a gap
        ev = _event(seq + (2 if skip else 1), kind, person)
        before = (view.seq, copy.deepcopy(view.placements), set(view.online))
        counted = (dict(view.counts), dict(view.here))
        if skip or not _follows(kind, person):
            assert view.apply(ev) is False
            assert (view.seq, view.placements, view.online) == before
            assert (view.counts, view.here) == counted
            return
        assert view.apply(ev) is True
        seq += 1
        if kind == "arrived":
            placements[person] = (PLENARY, placements.get(person, (None, None))[1])
        elif kind == "presence.joined":
            online.add(person)
        elif kind == "presence.left":
            online.discard(person)
        assert (view.seq, view.placements, view.online) == (seq, placements, online)
        # the rooms' counts it keeps as it goes are those counted afresh
        assert (view.counts, view.here) == _counted(placements, online)
    assert view.apply(_event(seq, "hand.raised", "p1")) is True  # an old seq: nothing to do
