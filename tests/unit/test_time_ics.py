"""Calendar files: parsed back and every TZID resolved through the file's own VTIMEZONE."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from scheduler.ics import CalendarSession, build_calendar, session_uid
from scheduler.time_errors import TimeInputError
from scheduler.zones import get_zone, use_packaged_tzdata

use_packaged_tzdata()

STAMP = datetime(2020, 8, 1, 9, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


SERIES = [
    CalendarSession(
        "s-0826",
        "Crisis management",
        utc(2020, 8, 26, 11),
        utc(2020, 8, 26, 14),
        "Europe/Berlin",
        url="https://convene.example/join/s-0826",
    ),
    CalendarSession(
        "s-1007",
        "Digitalisation of municipal services",
        utc(2020, 10, 7, 11),
        utc(2020, 10, 7, 13, 30),
        "Europe/Berlin",
        sequence=2,
        url="https://convene.example/join/s-1007",
        description="Kick-off; English with Arabic and Russian (tbc.)",
    ),
    CalendarSession(
        "s-1028",
        "Response dialogues",
        utc(2020, 10, 28, 12),
        utc(2020, 10, 28, 14),
        "Europe/Berlin",
        status="cancelled",
        sequence=1,
    ),
    CalendarSession(
        "s-1117",
        "Green recovery",
        utc(2020, 11, 17, 12),
        utc(2020, 11, 17, 14),
        "Europe/Berlin",
        status="live",
    ),
    CalendarSession(
        "s-tbs",
        "Tbilisi working group",
        utc(2020, 11, 18, 12),
        utc(2020, 11, 18, 13),
        "Asia/Tbilisi",
    ),
    CalendarSession("s-utc", "UTC check-in", utc(2020, 12, 9, 8), utc(2020, 12, 9, 9), "UTC"),
]


def parse(data: bytes):
    """(calendar, {uid: (start_utc, end_utc, tzid)}) resolving TZIDs with the file's VTIMEZONEs."""
    cal = Calendar.from_ical(data)
    file_zones = {tz.tz_name: tz.to_tz(lookup_tzid=False) for tz in cal.walk("VTIMEZONE")}
    times = {}
    for event in cal.walk("VEVENT"):
        resolved = []
        for name in ("DTSTART", "DTEND"):
            prop = event[name]
            tzid = prop.params.get("TZID")
            if tzid is None:  # written in UTC with Z
                assert prop.to_ical().endswith(b"Z")
                resolved.append(prop.dt.astimezone(UTC))
                continue
            wall = prop.dt.replace(tzinfo=None)
            resolved.append(wall.replace(tzinfo=file_zones[tzid]).astimezone(UTC))
        times[str(event["UID"])] = (*resolved, event["DTSTART"].params.get("TZID"))
    return cal, times


def test_round_trip_through_the_files_own_vtimezones():
    data = build_calendar(SERIES, calendar_name="Convene 2020", dtstamp=STAMP)
    cal, times = parse(data)
    for session in SERIES:
        start, end, tzid = times[session.uid]
        assert (start, end) == (session.start, session.end), session.title
        assert tzid == (None if session.timezone == "UTC" else session.timezone)
    # The anchors of the context file, written as Berlin wall time.
    assert times["s-1007@convene"][0] == utc(2020, 10, 7, 11)
    assert times["s-1117@convene"][0] == utc(2020, 11, 17, 12)
    assert b"DTSTART;TZID=Europe/Berlin:20201007T130000" in data
    assert b"DTSTART;TZID=Europe/Berlin:20201117T130000" in data
    assert b"DTSTART;TZID=Asia/Tbilisi:20201118T160000" in data
    assert b"DTSTART:20201209T080000Z" in data
    assert str(cal["PRODID"]) == "-//Convene//Convene//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "Convene 2020"


def test_one_vtimezone_per_zone_used_limited_to_the_sessions_dates():
    data = build_calendar(SERIES, calendar_name="Convene 2020", dtstamp=STAMP)
    cal = Calendar.from_ical(data)
    vtimezones = {tz.tz_name: tz for tz in cal.walk("VTIMEZONE")}
    assert sorted(vtimezones) == ["Asia/Tbilisi", "Europe/Berlin"]  # none for UTC
    for tz in vtimezones.values():
        text = tz.to_ical().decode()
        for sub in tz.subcomponents:
            assert sub["DTSTART"].dt.year == 2020, text
        assert "1970" not in text and "2038" not in text
    berlin = vtimezones["Europe/Berlin"]
    assert [s.name for s in berlin.subcomponents] == ["DAYLIGHT", "STANDARD"]
    assert berlin.subcomponents[1]["DTSTART"].dt == datetime(2020, 10, 25, 3)  # CEST -> CET
    assert [str(s["TZNAME"]) for s in berlin.subcomponents] == ["CEST", "CET"]
    # VTIMEZONEs come before the events that use them.
    assert data.index(b"BEGIN:VTIMEZONE") < data.index(b"BEGIN:VEVENT")


def test_crlf_line_endings_and_line_length():
    data = build_calendar(SERIES, calendar_name="Convene 2020", dtstamp=STAMP)
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert data.count(b"\n") == data.count(b"\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_status_sequence_url_and_description():
    data = build_calendar(SERIES, calendar_name="Convene 2020", dtstamp=STAMP)
    events = {str(e["UID"]): e for e in Calendar.from_ical(data).walk("VEVENT")}
    assert str(events["s-1028@convene"]["STATUS"]) == "CANCELLED"
    assert str(events["s-1117@convene"]["STATUS"]) == "CONFIRMED"
    assert int(events["s-1007@convene"]["SEQUENCE"]) == 2
    assert int(events["s-0826@convene"]["SEQUENCE"]) == 0
    digital = events["s-1007@convene"]
    assert str(digital["URL"]) == "https://convene.example/join/s-1007"
    assert "https://convene.example/join/s-1007" in str(digital["DESCRIPTION"])
    assert "Arabic and Russian" in str(digital["DESCRIPTION"])
    assert digital["DTSTAMP"].dt == STAMP
    assert str(digital["SUMMARY"]) == "Digitalisation of municipal services"


def test_reschedule_keeps_the_uid_and_raises_the_sequence():
    before = SERIES[1]
    after = replace(
        before,
        start=before.start + timedelta(days=1),
        end=before.end + timedelta(days=1),
        sequence=before.sequence + 1,
    )
    _, old = parse(build_calendar([before], calendar_name="c", dtstamp=STAMP))
    data = build_calendar([after], calendar_name="c", dtstamp=STAMP)
    _, new = parse(data)
    assert list(old) == list(new) == [session_uid("s-1007")]
    assert new["s-1007@convene"][0] == utc(2020, 10, 8, 11)
    assert b"SEQUENCE:3" in data


def test_a_single_session_still_gets_a_usable_vtimezone():
    session = SERIES[3]
    data = build_calendar([session], calendar_name="c", dtstamp=STAMP)
    _, times = parse(data)
    assert times[session.uid][:2] == (session.start, session.end)


def test_sessions_from_mappings_and_orm_like_rows():
    row = {
        "id": "abc",
        "title": "Row",
        "start": datetime(2020, 10, 27, 12),
        "end": datetime(2020, 10, 27, 14),
        "timezone": "Europe/Berlin",
        "status": "scheduled",
        "ics_sequence": 4,
    }
    data = build_calendar([row], calendar_name="c", dtstamp=STAMP)
    _, times = parse(data)
    assert times["abc@convene"][:2] == (utc(2020, 10, 27, 12), utc(2020, 10, 27, 14))
    assert b"SEQUENCE:4" in data and b"DTSTART;TZID=Europe/Berlin:20201027T130000" in data


def test_output_is_deterministic_given_dtstamp():
    first = build_calendar(SERIES, calendar_name="c", dtstamp=STAMP)
    second = build_calendar(list(reversed(SERIES)), calendar_name="c", dtstamp=STAMP)
    assert first == second
    assert re.search(rb"DTSTAMP:20200801T090000Z", first)


@pytest.mark.parametrize(
    "bad",
    [replace(SERIES[0], timezone="Mars/Olympus"), replace(SERIES[0], sequence=-1)],
)
def test_bad_sessions_are_refused(bad):
    with pytest.raises(TimeInputError):
        build_calendar([bad], calendar_name="c", dtstamp=STAMP)


# ---- instants in the repeated autumn hour --------------------------------------------

# (zone, a wall time that happens twice on the night the clocks go back)
REPEATED_HOURS = [
    ("Europe/Berlin", datetime(2020, 10, 25, 2, 30)),
    ("America/New_York", datetime(2020, 11, 1, 1, 30)),
    ("Australia/Lord_Howe", datetime(2020, 4, 5, 1, 45)),  # a half-hour shift
    ("America/Havana", datetime(2020, 11, 1, 0, 30)),  # clocks go back at 01:00
]


@pytest.mark.parametrize("fold", [0, 1], ids=["first", "second"])
@pytest.mark.parametrize("zone,wall", REPEATED_HOURS, ids=[z for z, _ in REPEATED_HOURS])
def test_both_occurrences_of_the_repeated_hour_read_back_exactly(zone, wall, fold):
    start = wall.replace(tzinfo=get_zone(zone), fold=fold).astimezone(UTC)
    assert start != wall.replace(tzinfo=get_zone(zone), fold=1 - fold).astimezone(UTC)
    sessions = [
        CalendarSession("in", "In the repeated hour", start, start + timedelta(hours=1), zone),
        CalendarSession("ends", "Ends in it", start - timedelta(hours=1), start, zone),
        CalendarSession("day", "Earlier that week", start - timedelta(days=3), start, zone),
    ]
    data = build_calendar(sessions, calendar_name="c", dtstamp=STAMP)
    _, times = parse(data)
    for s in sessions:
        assert times[s.uid][:2] == (s.start, s.end), (s.title, data.decode())
    # unambiguous wall times keep the organisers' zone
    day = Calendar.from_ical(data).walk("VEVENT")
    (earlier,) = [e for e in day if str(e["UID"]) == "day@convene"]
    assert earlier["DTSTART"].params["TZID"] == zone


# ---- texts from users ------------------------------------------------------------------

RTL = "\u200fمؤتمر\u200e 2020 \u202eabc\u202c"
TITLES = {
    "line feed": ("Kick-off\nDay 2", "Kick-off\nDay 2"),
    "bare CR": ("Kick-off\rDTSTART:19700101T000000Z", "Kick-off\nDTSTART:19700101T000000Z"),
    "CRLF": ("a\r\nb\r\nEND:VEVENT", "a\nb\nEND:VEVENT"),
    "tab": ("a\tb", "a\tb"),
    "RTL marks": (RTL, RTL),
    "escapes": ("a;b,c\\d", "a;b,c\\d"),
    "other controls": ("bell\x07 esc\x1b del\x7f", "bell esc del"),
    "unicode newlines": ("a\u2028b\u2029c\x85d", "a\nb\nc\nd"),
}


def unescape_text(raw: str) -> str:
    """RFC 5545 TEXT unescaping (3.3.11)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


@pytest.mark.parametrize("title,expected", TITLES.values(), ids=list(TITLES))
def test_titles_with_control_characters_round_trip(title, expected):
    session = replace(SERIES[0], title=title, description=title, url=None)
    data = build_calendar([session], calendar_name=title, dtstamp=STAMP)
    assert data.count(b"\r") == data.count(b"\r\n") == data.count(b"\n")
    cal = Calendar.from_ical(data)
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == expected
    assert str(event["DESCRIPTION"]) == expected
    # icalendar leaves these two undecoded; they are TEXT (RFC 7986), read them as such
    for name in ("NAME", "X-WR-CALNAME"):
        assert unescape_text(str(cal[name])) == expected
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [session.uid]
    _, times = parse(data)
    assert times[session.uid][:2] == (session.start, session.end)
