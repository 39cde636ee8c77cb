"""The time planner for a multi-region audience, and its input checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.planner import parse_iso_duration, rank_slots
from scheduler.time_errors import TimeInputError
from scheduler.working_hours import WorkingHours, parse_working_hours
from scheduler.zones import use_packaged_tzdata

use_packaged_tzdata()

TWO_HOURS = timedelta(hours=2)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Germany + South-East Europe and Caucasus, as in the 17.11.2020 session.
AUDIENCE = [
    *[(f"de{i}", "Europe/Berlin") for i in range(4)],
    ("rs1", "Europe/Belgrade"),
    ("rs2", "Europe/Belgrade"),
    ("ge1", "Asia/Tbilisi"),
    ("ge2", "Asia/Tbilisi"),
    ("az1", "Asia/Baku"),
    ("am1", "Asia/Yerevan"),
    ("ua1", "Europe/Kyiv"),
    ("by1", "Europe/Minsk"),
]

# The 7.10.2020 audience from the context file: Georgia, Ukraine, Belarus, Moldova,
# Kosovo, Serbia, Bosnia and Herzegovina, Turkey, Armenia, Azerbaijan, Albania, Germany.
AUDIENCE_2020 = [
    (f"p{i}", tz)
    for i, tz in enumerate(
        ["Asia/Tbilisi"] * 6
        + ["Europe/Kyiv"] * 6
        + ["Europe/Minsk"] * 4
        + ["Europe/Chisinau"] * 3
        + ["Europe/Belgrade"] * 7
        + ["Europe/Sarajevo"] * 3
        + ["Europe/Istanbul"] * 5
        + ["Asia/Yerevan"] * 4
        + ["Asia/Baku"] * 3
        + ["Europe/Tirane"] * 3
        + ["Europe/Berlin"] * 6
    )
]


def by_start(slots):
    return {slot.start: (rank, slot) for rank, slot in enumerate(slots)}


def test_early_afternoon_berlin_ranks_above_seven_in_the_morning():
    slots = rank_slots(AUDIENCE, TWO_HOURS, utc(2020, 11, 17), utc(2020, 11, 18))
    ranked = by_start(slots)
    afternoon_rank, afternoon = ranked[utc(2020, 11, 17, 12)]  # 13:00 CET
    morning_rank, morning = ranked[utc(2020, 11, 17, 6)]  # 07:00 CET
    assert afternoon_rank < morning_rank
    assert afternoon.inside == len(AUDIENCE) and afternoon.outside == ()
    assert slots[0].inside == len(AUDIENCE)
    # At 07:00 Berlin the Germans and Serbs are outside, each listed with local times.
    outside = {row["person_id"]: row for row in morning.outside}
    assert set(outside) == {"de0", "de1", "de2", "de3", "rs1", "rs2"}
    assert outside["de0"] == {
        "person_id": "de0",
        "tz": "Europe/Berlin",
        "local_start": "2020-11-17T07:00:00+01:00",
        "local_end": "2020-11-17T09:00:00+01:00",
    }
    assert morning.inside == len(AUDIENCE) - 6 and morning.total == len(AUDIENCE)
    zones = {row["tz"]: row for row in morning.zones}
    assert zones["Asia/Baku"]["local_start"] == "2020-11-17T10:00:00+04:00"
    assert zones["Asia/Baku"]["inside"] and not zones["Europe/Berlin"]["inside"]
    assert [row["tz"] for row in morning.zones] == [  # by UTC offset, then name
        "Europe/Belgrade",
        "Europe/Berlin",
        "Europe/Kyiv",
        "Europe/Minsk",
        "Asia/Baku",
        "Asia/Tbilisi",
        "Asia/Yerevan",
    ]


def test_ranking_is_by_inside_then_earliest():
    slots = rank_slots(AUDIENCE, TWO_HOURS, utc(2020, 11, 17), utc(2020, 11, 18))
    keys = [(-s.inside, s.start) for s in slots]
    assert keys == sorted(keys)
    # Everyone fits from 07:00Z (08:00 in Berlin) to 15:00Z (ending at 21:00 in Baku, +4).
    full = [s.start for s in slots if s.inside == len(AUDIENCE)]
    assert full == [utc(2020, 11, 17, 7) + timedelta(minutes=30 * k) for k in range(17)]


def test_the_2020_audience_gets_the_published_slot_among_the_best():
    duration = parse_iso_duration("PT2H30M")
    slots = rank_slots(AUDIENCE_2020, duration, utc(2020, 10, 7), utc(2020, 10, 8))
    published = utc(2020, 10, 7, 11)  # 13:00-15:30 CEST
    best = [s.start for s in slots if s.inside == len(AUDIENCE_2020)]
    assert published in best
    assert slots[0].inside == len(AUDIENCE_2020)
    json.dumps([s.to_dict() for s in slots[:3]])  # JSON-ready


def test_the_planner_uses_each_dates_offset_across_the_end_of_dst():
    people = [("b", "Europe/Berlin"), ("c", "America/Bogota")]
    late = timedelta(hours=18)  # a 18:00Z start: 20:00-22:00 CEST but 19:00-21:00 CET
    before = by_start(rank_slots(people, TWO_HOURS, utc(2020, 10, 24), utc(2020, 10, 25)))
    after = by_start(rank_slots(people, TWO_HOURS, utc(2020, 10, 26), utc(2020, 10, 27)))
    assert before[utc(2020, 10, 24) + late][1].inside == 1
    assert after[utc(2020, 10, 26) + late][1].inside == 2


def test_a_session_crossing_local_midnight_is_outside():
    slots = rank_slots(
        [("t", "Asia/Taipei")],
        TWO_HOURS,
        utc(2020, 11, 17, 14),
        utc(2020, 11, 17, 18),
        working_hours=(time(0), time(23, 59)),
    )
    assert {s.start: s.inside for s in slots}[utc(2020, 11, 17, 15)] == 0  # 23:00-01:00


def test_grid_alignment_limit_and_custom_hours():
    slots = rank_slots(
        AUDIENCE,
        TWO_HOURS,
        utc(2020, 11, 17, 10, 7),
        utc(2020, 11, 17, 16),
        step=timedelta(minutes=15),
        working_hours="09:00-17:00",
        limit=3,
    )
    assert len(slots) == 3
    starts = sorted(
        s.start
        for s in rank_slots(
            AUDIENCE,
            TWO_HOURS,
            utc(2020, 11, 17, 10, 7),
            utc(2020, 11, 17, 16),
            step=timedelta(minutes=15),
        )
    )
    assert starts[0] == utc(2020, 11, 17, 10, 15) and starts[-1] == utc(2020, 11, 17, 14)
    # 09:00-17:00 local: Baku (+4) needs an end by 13:00Z, Berlin a start from 08:00Z.
    assert all(s.start <= utc(2020, 11, 17, 11) for s in slots if s.inside == len(AUDIENCE))


def test_a_90_day_window_stays_fast():
    slots = rank_slots(AUDIENCE_2020, TWO_HOURS, utc(2020, 9, 1), utc(2020, 11, 30), limit=10)
    assert len(slots) == 10 and all(s.inside == len(AUDIENCE_2020) for s in slots)
    assert slots[0].start == utc(2020, 9, 1, 6)  # 08:00 in Berlin, Belgrade; 10:00 in Baku


def test_empty_audience():
    slots = rank_slots([], TWO_HOURS, utc(2020, 11, 17), utc(2020, 11, 17, 3))
    assert [s.start for s in slots] == [
        utc(2020, 11, 17, 0),
        utc(2020, 11, 17, 0, 30),
        utc(2020, 11, 17, 1),
    ]
    assert all(s.inside == 0 and s.outside == () for s in slots)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration": timedelta(0)}, "duration"),
        ({"duration": -TWO_HOURS}, "duration"),
        ({"duration": timedelta(hours=24, minutes=1)}, "duration"),
        ({"duration": "PT2H"}, "duration"),
        ({"window_end_utc": utc(2020, 11, 16)}, "to"),
        ({"window_end_utc": utc(2020, 11, 17)}, "to"),
        ({"window_end_utc": utc(2021, 2, 16)}, "to"),  # 91 days
        ({"window_end_utc": utc(2020, 11, 17, 1)}, "to"),  # shorter than the duration
        ({"window_start_utc": "2020-11-17"}, "from"),
        ({"step": timedelta(minutes=1)}, "step"),
        ({"step": timedelta(0)}, "step"),
        ({"working_hours": "21:00-08:00"}, "working_hours"),
        ({"working_hours": "nine to five"}, "working_hours"),
        ({"participants": [("x", "Not/AZone")]}, "participants"),
        ({"participants": ["Europe/Berlin"]}, "participants"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_inputs_name_the_field(kwargs, field):
    args = {
        "participants": AUDIENCE,
        "duration": TWO_HOURS,
        "window_start_utc": utc(2020, 11, 17),
        "window_end_utc": utc(2020, 11, 18),
        **kwargs,
    }
    with pytest.raises(TimeInputError) as caught:
        rank_slots(**args)
    assert caught.value.field == field
    assert caught.value.detail


def test_the_largest_window_and_duration_are_accepted():
    slots = rank_slots(
        AUDIENCE[:1],
        timedelta(hours=24),
        utc(2020, 9, 1),
        utc(2020, 11, 30),
        step=timedelta(hours=24),
    )
    assert len(slots) == 90  # 1 Sep to 29 Nov: the last one ends at the window's end


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT2H", TWO_HOURS),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("PT90M", timedelta(minutes=90)),
        ("P1D", timedelta(days=1)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("PT45S", timedelta(seconds=45)),
        ("pt2h", TWO_HOURS),
    ],
)
def test_parse_iso_duration(text, expected):
    assert parse_iso_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "2h",
        "PT2.5H",
        "P1Y",
        "P1M",
        "P1W",
        "PT-2H",
        "P1DT",
        "PT2H ",
        7,
        None,
        "PT" + "9" * 40 + "H",
    ],
)
def test_parse_iso_duration_refuses_the_rest(text):
    if text == "PT2H ":  # surrounding blanks are tolerated
        assert parse_iso_duration(text) == TWO_HOURS
        return
    with pytest.raises(TimeInputError) as caught:
        parse_iso_duration(text)
    assert caught.value.field == "duration" and "PT2H" in caught.value.detail


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.one_of(st.text(max_size=40), st.from_regex(r"P(\d+[DWYM])?(T(\d+[HMS])*)?", fullmatch=True))
)
def test_parse_iso_duration_only_raises_time_input_error(text):
    try:
        assert parse_iso_duration(text) >= timedelta(0)
    except TimeInputError:
        pass


def test_working_hours_forms():
    assert parse_working_hours(None) == WorkingHours(time(8), time(21))
    assert parse_working_hours("08:00-21:00") == WorkingHours(time(8), time(21))
    assert parse_working_hours(((9, 30), (17, 0))) == WorkingHours(time(9, 30), time(17))
    assert str(parse_working_hours("9:00 - 17:30")) == "09:00-17:30"
    for bad in ("25:00-26:00", "10:00-10:00", ((8,), "x"), 5):
        with pytest.raises(TimeInputError):
            parse_working_hours(bad)
