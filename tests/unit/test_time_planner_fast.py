"""The planner's per-zone scoring against the plain definition (every person, every
candidate, converted one by one), its row bound, and the assumption its offset
sampling rests on."""

from __future__ import annotations

import time as clock
import zoneinfo
from datetime import UTC, datetime, time, timedelta
from zoneinfo import _zoneinfo as pure_zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler import planner
from scheduler.planner import MAX_ROWS, rank_slots
from scheduler.time_errors import TooManyRowsError
from scheduler.working_hours import WorkingHours
from scheduler.zones import use_packaged_tzdata, zone_names

use_packaged_tzdata()

# zones with DST both ways, half-hour and 45-minute offsets, the date line, a
# zone that dropped DST (Amman, 2022) and one with a 30-minute DST (Lord Howe)
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/Bogota",
    "America/New_York",
    "America/St_Johns",
    "America/Santiago",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Amman",
    "Asia/Tehran",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Africa/Casablanca",
]


def plain(participants, duration, start, end, step, hours, limit=None):
    """The definition: each person, each candidate on the grid, converted one by one."""
    first = planner._first_start(start, step)
    scored = []
    candidate = first
    while candidate + duration <= end:
        inside = sum(
            1
            for _, tz in participants
            if hours.contains(
                candidate.astimezone(zoneinfo.ZoneInfo(tz)),
                (candidate + duration).astimezone(zoneinfo.ZoneInfo(tz)),
            )
        )
        scored.append((-inside, candidate))
        candidate += step
    scored.sort()
    return [(c, -neg) for neg, c in scored[:limit]]


@st.composite
def plans(draw):
    people = draw(st.lists(st.sampled_from(ZONES), min_size=0, max_size=8))
    participants = [(f"p{i}", tz) for i, tz in enumerate(people)]
    start = draw(st.datetimes(datetime(1990, 1, 1), datetime(2037, 12, 1), timezones=st.just(UTC)))
    duration = timedelta(minutes=draw(st.integers(1, 24 * 60)))
    span = timedelta(hours=draw(st.integers(0, 24 * 12)), minutes=draw(st.integers(0, 59)))
    step = timedelta(minutes=draw(st.sampled_from([5, 7, 15, 30, 45, 60, 90, 24 * 60])))
    begin = time(draw(st.integers(0, 22)), draw(st.sampled_from([0, 15, 30])))
    finish = time(draw(st.integers(begin.hour + 1, 23)), draw(st.sampled_from([0, 30, 59])))
    limit = draw(st.none() | st.integers(1, 50))
    return participants, duration, start, start + duration + span, step, (begin, finish), limit


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_the_per_zone_scoring_ranks_exactly_as_the_plain_definition(plan):
    participants, duration, start, end, step, hours, limit = plan
    fast = rank_slots(participants, duration, start, end, step, hours, limit=limit)
    expected = plain(participants, duration, start, end, step, WorkingHours(*hours), limit)
    assert [(s.start, s.inside) for s in fast] == expected
    for s in fast:
        assert s.inside + len(s.outside) == len(participants)


def test_dst_changes_inside_the_window_are_scored_on_each_side():
    # New York springs forward on 2021-03-14: 13:00Z is 08:00 local before, 09:00 after
    people = [("ny", "America/New_York")]
    slots = rank_slots(
        people,
        timedelta(hours=1),
        datetime(2021, 3, 12, tzinfo=UTC),
        datetime(2021, 3, 17, tzinfo=UTC),
        step=timedelta(hours=1),
        working_hours=(time(8), time(9)),
    )
    fitting = sorted(s.start for s in slots if s.inside)
    assert fitting == [
        datetime(2021, 3, 12, 13, tzinfo=UTC),
        datetime(2021, 3, 13, 13, tzinfo=UTC),
        datetime(2021, 3, 14, 12, tzinfo=UTC),
        datetime(2021, 3, 15, 12, tzinfo=UTC),
        datetime(2021, 3, 16, 12, tzinfo=UTC),
    ]


def test_no_zone_changes_its_offset_twice_within_the_sampling_interval():
    """The planner samples offsets every 12 h and bisects each change it sees: that
    misses nothing while transitions in the pinned tz database are further apart."""
    closest = min(
        b - a
        for name in zone_names()
        for trans in [pure_zoneinfo.ZoneInfo(name)._trans_utc]
        for a, b in zip(trans, trans[1:], strict=False)
    )
    assert closest * 1_000_000 > planner._SAMPLE_US


# 300 participants in 300 zones: the audience of the defect report
WORLD = [(f"p{i}", tz) for i, tz in enumerate(sorted(zone_names())[:300])]
LARGEST = {
    "duration": timedelta(hours=2),
    "window_start_utc": datetime(2021, 9, 1, tzinfo=UTC),
    "window_end_utc": datetime(2021, 9, 1, tzinfo=UTC) + planner.MAX_WINDOW,
    "step": planner.MIN_STEP,
}


def test_an_answer_over_the_row_bound_is_refused_naming_the_largest_limit():
    with pytest.raises(TooManyRowsError) as caught:
        rank_slots(WORLD, **LARGEST, limit=500, max_rows=MAX_ROWS)
    err = caught.value
    assert err.field == "limit" and err.value == 500 and 0 < err.max_limit < 500
    assert err.problem_fields()["max_limit"] == err.max_limit
    assert f"limit={err.max_limit}" in err.detail
    slots = rank_slots(WORLD, **LARGEST, limit=err.max_limit, max_rows=MAX_ROWS)
    assert sum(len(s.zones) + len(s.outside) for s in slots) <= MAX_ROWS
    with pytest.raises(TooManyRowsError):
        rank_slots(WORLD, **LARGEST, limit=err.max_limit + 1, max_rows=MAX_ROWS)


def test_even_one_slot_can_be_too_large():
    with pytest.raises(TooManyRowsError) as caught:  # 50 zone rows in every slot
        rank_slots(WORLD[:50], **LARGEST, limit=1, max_rows=10)
    assert caught.value.max_limit == 0


def test_the_largest_window_on_the_finest_grid_for_300_zones_is_quick():
    t0 = clock.process_time()
    slots = rank_slots(WORLD, **LARGEST, limit=10, max_rows=MAX_ROWS)
    took = clock.process_time() - t0
    assert len(slots) == 10 and slots[0].inside >= slots[-1].inside
    assert took < 1.5, f"{took:.2f} s of CPU"  # v1, a conversion per pair: 6.3 s
