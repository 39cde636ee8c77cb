"""Booths for breakout rooms, and the listener-count coalescer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from interpretation import Interpreter, ListenerCoalescer, plan_booths

from .test_interpretation_helpers import T0


def people(**dirs: tuple[str, ...]) -> list[Interpreter]:
    return [Interpreter.of(pid, d) for pid, d in dirs.items()]


ARABIC = ("en>ar", "ar>en")


@pytest.mark.parametrize(
    ("rooms", "interpreters", "assignments", "uncovered"),
    [
        pytest.param(
            [("G1", ["ar"]), ("G2", [])],
            people(A1=ARABIC, A2=ARABIC),
            {"G1": ["A1", "A2"], "G2": []},
            [],
            id="one arabic room keeps the pair",
        ),
        pytest.param(
            [("G1", ["ar"]), ("G2", ["ar"])],
            people(A1=ARABIC, A2=ARABIC),
            {"G1": ["A1"], "G2": ["A2"]},
            [],
            id="two arabic rooms: coverage first",
        ),
        pytest.param(
            [("G1", ["ar"]), ("G2", ["ru"])],
            people(A1=ARABIC, A2=ARABIC),
            {"G1": ["A1", "A2"], "G2": []},
            [("G2", "ru")],
            id="no russian booth",
        ),
        pytest.param(
            [("G1", ["ar"]), ("G2", ["ru"])],
            people(A0=("en>ar", "en>ru"), A1=ARABIC),
            {"G1": ["A1"], "G2": ["A0"]},
            [],
            id="matching frees the versatile one",
        ),
        pytest.param(
            [("G1", ["ar"]), ("G2", ["ar"])],
            people(A1=ARABIC, B1=("en>ar",), A2=ARABIC, B2=("en>ar",)),
            {"G1": ["A1", "A2"], "G2": ["B1", "B2"]},
            [],
            id="pairs of one profile stay together",
        ),
        pytest.param(
            [("G1", ["en", "ar"])],
            people(A1=ARABIC),
            {"G1": ["A1"]},
            [],
            id="the floor language needs no booth",
        ),
    ],
)
def test_plan_booths(rooms, interpreters, assignments, uncovered):
    plan = plan_booths(rooms, interpreters, floor_language="en")
    assert {k: sorted(v) for k, v in plan.assignments.items()} == {
        k: sorted(v) for k, v in assignments.items()
    }
    assert plan.uncovered == uncovered


def test_coalescer_sends_at_most_one_a_second_per_room():
    c = ListenerCoalescer()
    first = c.offer("P", {"en": 3, "ar": 1}, T0)
    assert first.event is not None and first.due is None
    assert first.event.audience == ("moderators", "channel:P:en", "channel:P:ar")
    assert first.event.data() == {"room_id": "P", "counts": {"en": 3, "ar": 1}}

    later = T0 + timedelta(milliseconds=300)
    deferred = c.offer("P", {"en": 2, "ar": 2}, later)
    assert deferred.event is None and deferred.due == T0 + timedelta(seconds=1)
    again = c.offer("P", {"en": 1, "ar": 3}, later + timedelta(milliseconds=100))
    assert again.due == deferred.due
    assert c.offer("G1", {"en": 1}, later).event is not None  # another room is independent

    assert c.flush("P", later).event is None
    sent = c.flush("P", deferred.due)
    assert sent.event is not None and sent.event.counts == {"en": 1, "ar": 3}
    assert c.flush("P", deferred.due).event is None
    assert c.due("P") is None


def test_coalescer_skips_counts_already_sent():
    c = ListenerCoalescer()
    c.offer("P", {"en": 1}, T0)
    assert c.offer("P", {"en": 1}, T0 + timedelta(seconds=5)) == (None, None)
    c.offer("P", {"en": 2}, T0 + timedelta(seconds=5))
    assert c.offer("P", {"en": 3}, T0 + timedelta(seconds=5, milliseconds=1)).due is not None
    assert c.offer("P", {"en": 2}, T0 + timedelta(seconds=5, milliseconds=2)) == (None, None)
    assert c.due("P") is None


def test_a_coalescer_restored_from_what_was_sent_keeps_the_one_a_second_rule():
    """The server keeps ``sent()`` between transactions and starts a new coalescer
    from it: a room told 300 ms ago waits until its second is over."""
    first = ListenerCoalescer()
    first.offer("P", {"en": 3}, T0)
    again = ListenerCoalescer(sent=first.sent())
    assert again.offer("P", {"en": 3}, T0 + timedelta(seconds=5)) == (None, None)
    soon = again.offer("P", {"en": 4}, T0 + timedelta(milliseconds=300))
    assert soon.event is None and soon.due == T0 + timedelta(seconds=1)
    later = again.offer("P", {"en": 4}, soon.due)
    assert later.event is not None and later.event.counts == {"en": 4}
    assert again.sent() == {"P": (soon.due, {"en": 4})}
