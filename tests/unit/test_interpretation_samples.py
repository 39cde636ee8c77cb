"""Listener samples keep one point per channel per second (the last one), in the
order a naive scan would leave them, however many channels change at once."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from interpretation.samples import add_samples
from interpretation.state import ListenerSample

from .test_interpretation_helpers import T0


def reference(existing, new):
    """The plain definition: append; drop an earlier sample of the same channel in
    the same second, scanning back over that second only."""
    kept = list(existing)
    for sample in new:
        second = sample.at.replace(microsecond=0)
        i = len(kept) - 1
        while i >= 0 and kept[i].at.replace(microsecond=0) == second:
            if (kept[i].room_id, kept[i].language) == (sample.room_id, sample.language):
                del kept[i]
                break
            i -= 1
        kept.append(sample)
    return tuple(kept)


def samples(draw_steps):
    """Monotonic instants (as the domain makes them), a few rooms and languages."""
    out, at = [], T0
    for step_ms, room, lang, n in draw_steps:
        at += timedelta(milliseconds=step_ms)
        out.append(ListenerSample(at, room, lang, n))
    return out


step = st.tuples(
    st.sampled_from([0, 0, 1, 250, 999, 1000, 2500]),
    st.sampled_from(["P", "B1", "B2"]),
    st.sampled_from(["en", "ar", "ru"]),
    st.integers(0, 5),
)


@given(st.lists(step, max_size=30), st.integers(0, 30))
def test_same_result_as_the_plain_definition(steps, cut):
    all_ = samples(steps)
    existing, new = reference((), all_[:cut]), all_[cut:]  # as earlier commands left them
    assert add_samples(existing, new) == reference(existing, new)


def test_a_burst_of_a_hundred_rooms_keeps_one_point_per_channel():
    burst = [ListenerSample(T0, f"B{i}", "en", i) for i in range(100)]
    again = [ListenerSample(T0 + timedelta(milliseconds=5), f"B{i}", "en", 0) for i in range(100)]
    kept = add_samples(tuple(burst), again)
    assert len(kept) == 100 and all(s.listeners == 0 for s in kept)
