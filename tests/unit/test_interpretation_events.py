"""Every emitted event matches its schema (in the server's one registry) and its
audience rules."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from interpretation import ListenerCoalescer, apply, listener_counts
from interpretation.commands import (
    AcceptHandover,
    ConnectionChanged,
    DropLanguage,
    DropoutDue,
    ExpireHandover,
    GoOffAir,
    GoOnAir,
    MovePerson,
    OpenRoom,
    RequestHandover,
    SetFloor,
    SetListening,
    TurnCheck,
)
from interpretation.events import EVENT_TYPES
from server.event_registry import coerce

from .test_interpretation_helpers import T0, P, at, kickoff

AUDIENCE = re.compile(r"^(session|moderators|room:[^:]+|person:[^:]+|channel:[^:]+:[a-z]{2})$")


def story():
    """A run that produces every event type."""
    state = kickoff({"A3": ("en>ar", "ar>en")})
    steps = [
        (T0, OpenRoom("G1", ("ar",))),
        (T0, GoOnAir("A1", P, "ar")),
        (at(1), RequestHandover("A1", "A2", P, "ar")),
        (at(1), RequestHandover("A1", "A3", P, "ar")),
        (at(2), ExpireHandover(P, "ar", "h2")),
        (at(3), RequestHandover("A1", "A2", P, "ar")),
        (at(3, 5), AcceptHandover("A2", P, "ar")),
        (at(4), SetFloor(P, "ar")),
        (at(5), SetListening("tbilisi", "ar")),
        (at(6), MovePerson("tbilisi", "G1")),
        (at(6), SetListening("tbilisi", "ru")),
        (at(7), SetFloor(P, "en")),
        (at(8), ConnectionChanged("A2", False)),
        (at(8, 10), DropoutDue("A2", at(8, 10))),
        (at(8, 20), AcceptHandover("A1", P, "ar")),
        (at(40), TurnCheck()),
        (at(41), GoOffAir("A1", P, "ar")),
        (at(42), DropLanguage("ru")),
    ]
    events = []
    coalescer = ListenerCoalescer()
    for now, command in steps:
        state, emitted = apply(state, command, now)[:2]
        events += emitted
        for room_id in state.rooms:
            sent = coalescer.offer(room_id, listener_counts(state, room_id), now)
            if sent.event is not None:
                events.append(sent.event)
    return events


def check_value(value):
    if isinstance(value, datetime):
        assert value.utcoffset() == timedelta(0)
        return value.isoformat()
    raise TypeError(type(value))


def test_every_event_matches_its_schema_and_audience():
    events = story()
    assert {e.type for e in events} == set(EVENT_TYPES)
    for event in events:
        data = event.data()
        coerce(event.type, data)  # the registry that checks every event at emit time
        json.dumps(data, default=check_value)
        assert event.audience and all(AUDIENCE.match(a) for a in event.audience), event
        if event.type in ("handover.requested",):
            assert (
                "session" not in event.audience
                and "moderators" not in event.audience
                or (data["reason"] == "dropout")
            )


def test_the_coalescer_forgets_closed_rooms_and_their_pending_counts():
    c = ListenerCoalescer()
    now = datetime(2030, 1, 1, 10, 0)
    for room in ("plenary", "r1", "r2"):
        assert c.offer(room, {"en": 1}, now).event is not None
    assert c.offer("r1", {"en": 2}, now).due is not None  # within the second: pending
    c.retain({"plenary", "r2"})
    assert set(c.sent()) == {"plenary", "r2"}
    assert c.due("r1") is None
    assert c.flush("r1", now + timedelta(seconds=2)).event is None
