"""Reading wall times and instants: gaps, folds, explicit offsets, formats and spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.time_errors import AmbiguousTimeError, NonexistentTimeError, TimeInputError
from scheduler.wallclock import (
    format_local,
    format_offset,
    format_utc,
    parse_utc,
    resolve_instant,
    resolve_span,
    validate_span,
)
from scheduler.zones import get_zone, use_packaged_tzdata

use_packaged_tzdata()

BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_nonexistent_berlin_wall_time_names_both_instants():
    with pytest.raises(NonexistentTimeError) as caught:
        resolve_instant("2022-03-27T02:30", BERLIN)
    err = caught.value
    assert isinstance(err, TimeInputError)
    assert err.field == "start"
    assert err.value == "2022-03-27T02:30"
    assert err.candidates == (utc(2022, 3, 27, 0, 30), utc(2022, 3, 27, 1, 30))
    assert "2022-03-27T00:30:00Z (CEST, +02:00)" in err.detail
    assert "2022-03-27T01:30:00Z (CET, +01:00)" in err.detail
    assert err.problem_fields()["candidates"] == ["2022-03-27T00:30:00Z", "2022-03-27T01:30:00Z"]


def test_ambiguous_berlin_wall_time_names_both_instants():
    with pytest.raises(AmbiguousTimeError) as caught:
        resolve_instant("2022-10-30T02:30", BERLIN, field="end")
    err = caught.value
    assert err.field == "end"
    assert err.candidates == (utc(2022, 10, 30, 0, 30), utc(2022, 10, 30, 1, 30))
    assert err.detail.startswith(
        "2022-10-30T02:30 does not name one instant in Europe/Berlin: it happens twice, "
        "at 2022-10-30T00:30:00Z (CEST, +02:00) and 2022-10-30T01:30:00Z (CET, +01:00); "
        "send the time with an explicit offset"
    )
    fields = err.problem_fields()
    assert fields["field"] == "end" and fields["value"] == "2022-10-30T02:30"
    assert fields["candidates"] == ["2022-10-30T00:30:00Z", "2022-10-30T01:30:00Z"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-10-30T02:30+02:00", utc(2022, 10, 30, 0, 30)),
        ("2022-10-30T02:30+01:00", utc(2022, 10, 30, 1, 30)),
        ("2022-03-27T02:30+01:00", utc(2022, 3, 27, 1, 30)),
        ("2022-10-30T00:30:00Z", utc(2022, 10, 30, 0, 30)),
        ("2022-10-30T00:30:00.250Z", utc(2022, 10, 30, 0, 30, 0, 250000)),
        (
            datetime(2022, 10, 30, 2, 30, tzinfo=timezone(timedelta(hours=1))),
            utc(2022, 10, 30, 1, 30),
        ),
    ],
)
def test_explicit_offsets_are_taken_as_is(value, expected):
    assert resolve_instant(value, BERLIN) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-10-07T13:00", utc(2020, 10, 7, 11)),
        ("2020-10-07 13:00:00", utc(2020, 10, 7, 11)),
        ("07.10.2020 13:00", utc(2020, 10, 7, 11)),
        ("17.11.2020 13:00", utc(2020, 11, 17, 12)),
        ("  17.11.2020 13:00:30 ", utc(2020, 11, 17, 12, 0, 30)),
        (datetime(2020, 11, 17, 13), utc(2020, 11, 17, 12)),
        ("2022-03-27T03:00", utc(2022, 3, 27, 1)),  # first minute after the gap
        ("2022-03-27T01:59", utc(2022, 3, 27, 0, 59)),
        ("2022-10-30T03:00", utc(2022, 10, 30, 2)),  # first minute after the repeat
        ("2022-10-30T01:59", utc(2022, 10, 29, 23, 59)),
    ],
)
def test_wall_times_read_in_the_zone(value, expected):
    assert resolve_instant(value, BERLIN) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "x",
        "2020-10-07",
        "07.10.2020",
        "13:00",
        "2020-13-01T10:00",
        "31.02.2020 10:00",
        "2020-10-07T25:00",
        "0001-01-01T00:00+01:00",
        "9999-12-31T23:59-01:00",
        "1900-01-01T00:00",
        "2" * 100,
        None,
        3.5,
    ],
)
def test_bad_values_name_field_and_value(value):
    with pytest.raises(TimeInputError) as caught:
        resolve_instant(value, BERLIN, field="start")
    assert caught.value.field == "start"
    assert "start" in caught.value.detail


def test_unknown_zone_names_the_zone_field():
    with pytest.raises(TimeInputError) as caught:
        resolve_instant("2020-10-07T13:00", "Mars/Olympus")
    assert (caught.value.field, caught.value.value) == ("timezone", "Mars/Olympus")


def test_format_utc_precision():
    assert format_utc(utc(2021, 8, 31, 12)) == "2021-08-31T12:00:00Z"
    assert format_utc(utc(2021, 8, 31, 12, 0, 0, 999)) == "2021-08-31T12:00:00Z"
    assert format_utc(utc(2021, 8, 31, 12, 0, 0, 250999)) == "2021-08-31T12:00:00.250Z"
    assert format_utc(datetime(2021, 8, 31, 14, tzinfo=get_zone(BERLIN))) == "2021-08-31T12:00:00Z"
    assert format_utc(datetime(2021, 8, 31, 12)) == "2021-08-31T12:00:00Z"  # naive = stored UTC


def test_format_local_and_offset():
    assert (
        format_local(utc(2020, 10, 7, 11), get_zone("Asia/Tbilisi")) == "2020-10-07T15:00:00+04:00"
    )
    assert format_offset(timedelta(hours=-5)) == "-05:00"
    assert format_offset(timedelta(hours=5, minutes=45)) == "+05:45"
    assert format_offset(timedelta(minutes=53, seconds=28)) == "+00:53:28"


def test_parse_utc_needs_an_offset():
    assert parse_utc("2021-08-31T12:00:00Z") == utc(2021, 8, 31, 12)
    assert parse_utc("2021-08-31T14:00:00+02:00") == utc(2021, 8, 31, 12)
    assert format_utc(parse_utc(format_utc(utc(2021, 8, 31, 12, 0, 0, 250000)))).endswith(".250Z")
    with pytest.raises(TimeInputError) as caught:
        parse_utc("2021-08-31T12:00:00", field="from")
    assert caught.value.field == "from" and "offset" in caught.value.detail


def test_validate_span():
    start = utc(2020, 10, 7, 11)
    assert validate_span(start, start + timedelta(hours=2, minutes=30)) == timedelta(hours=2.5)
    assert validate_span(start, start + timedelta(hours=24)) == timedelta(hours=24)
    with pytest.raises(TimeInputError) as caught:
        validate_span(start, start)
    assert caught.value.field == "end" and caught.value.value == "2020-10-07T11:00:00Z"
    assert "not after start" in caught.value.detail
    with pytest.raises(TimeInputError) as caught:
        validate_span(start, start - timedelta(minutes=1))
    with pytest.raises(TimeInputError) as caught:
        validate_span(start, start + timedelta(hours=24, minutes=1))
    assert caught.value.field == "end" and "24 h" in caught.value.detail


def test_resolve_span_across_the_end_of_dst():
    # 24.10.2020 13:00 CEST to 25.10.2020 13:00 CET: 25 h of real time, refused.
    with pytest.raises(TimeInputError) as caught:
        resolve_span("2020-10-24T13:00", "2020-10-25T13:00", BERLIN)
    assert caught.value.field == "end" and "25 h" in caught.value.detail
    assert resolve_span("07.10.2020 13:00", "07.10.2020 15:30", BERLIN) == (
        utc(2020, 10, 7, 11),
        utc(2020, 10, 7, 13, 30),
    )


ZONES = [
    "Europe/Berlin",
    "Asia/Amman",
    "Asia/Beirut",
    "Europe/Kyiv",
    "America/Bogota",
    "Asia/Tbilisi",
    "Australia/Lord_Howe",
    "America/Santiago",
]


@settings(max_examples=300, deadline=None, database=None)
@given(
    wall=st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2023, 12, 31)),
    zone_name=st.sampled_from(ZONES),
)
def test_any_wall_time_round_trips_or_is_refused_with_two_candidates(wall, zone_name):
    wall = wall.replace(microsecond=0)
    zone = get_zone(zone_name)
    try:
        instant = resolve_instant(wall, zone_name)
    except AmbiguousTimeError as exc:
        assert len(exc.candidates) == 2 and exc.candidates[0] < exc.candidates[1]
        for candidate in exc.candidates:
            assert candidate.astimezone(zone).replace(tzinfo=None) == wall
    except NonexistentTimeError as exc:
        assert exc.candidates[0] < exc.candidates[1]
        for candidate in exc.candidates:
            assert candidate.astimezone(zone).replace(tzinfo=None) != wall
    else:
        assert instant.tzinfo is UTC
        assert instant.astimezone(zone).replace(tzinfo=None) == wall


ISO_ISH = st.from_regex(
    r"\d{1,5}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{1,2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?",
    fullmatch=True,
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(max_size=70), ISO_ISH))
def test_arbitrary_text_only_ever_raises_time_input_error(text):
    try:
        resolve_instant(text, BERLIN)
    except TimeInputError:
        pass
    try:
        parse_utc(text)
    except TimeInputError:
        pass
