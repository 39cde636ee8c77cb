"""Every emitted event matches its schema and audience rules; the package stays pure."""

from __future__ import annotations

import ast
import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

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

from .test_interpretation_helpers import T0, P, at, kickoff

CHANNEL_KEYS = {"language", "on_air", "source", "listeners", "booth"}
SCHEMAS: dict[str, set[str]] = {
    "channel.updated": {"room_id", "channel", "removed"},
    "floor.language": {"room_id", "language", "previous"},
    "handover.requested": {
        "request_id",
        "room_id",
        "language",
        "from",
        "to",
        "expires_at",
        "reason",
    },
    "handover.completed": {"request_id", "room_id", "language", "from", "to"},
    "handover.expired": {"request_id", "room_id", "language", "from", "to"},
    "handover.cancelled": {"request_id", "room_id", "language", "from", "to", "reason"},
    "channel.uncovered": {"room_id", "language", "listeners", "reason"},
    "listening.changed": {"person_id", "room_id", "language"},
    "listeners.changed": {"room_id", "counts"},
    "turn.due": {"room_id", "language", "person_id", "partner_id", "on_air_s"},
}
OPTIONAL = {"listening.changed": {"fallback_reason", "requested", "reason"}}
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
        assert (
            SCHEMAS[event.type]
            <= set(data)
            <= SCHEMAS[event.type] | OPTIONAL.get(event.type, set())
        ), event.type
        json.dumps(data, default=check_value)
        assert event.audience and all(AUDIENCE.match(a) for a in event.audience), event
        if event.type == "channel.updated":
            assert set(data["channel"]) == CHANNEL_KEYS
        if event.type in ("handover.requested",):
            assert (
                "session" not in event.audience
                and "moderators" not in event.audience
                or (data["reason"] == "dropout")
            )


def test_package_imports_only_the_standard_library():
    root = Path(__file__).resolve().parents[2] / "interpretation"
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
