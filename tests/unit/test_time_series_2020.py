"""The organisers' 2020 series (shared/context.md), entered as written and viewed abroad.

The series crosses the end of DST on 25 Oct 2020: 13:00 Berlin is 11:00 UTC before
it and 12:00 UTC after. Amman left DST only on 30 Oct 2020, so for the sessions of
27-29 Oct Amman is three hours ahead of Berlin, not two.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from scheduler.views import count_zones, local_times, local_view, person_local_start, schedule_entry
from scheduler.wallclock import resolve_instant, resolve_span
from scheduler.zones import use_packaged_tzdata

use_packaged_tzdata()

BERLIN = "Europe/Berlin"
ASSUMED = "13:00-15:00"  # fixture assumption: the context gives no time for these dates

# date, time as published (or None), title, audience
SERIES_2020 = [
    ("25.08.2020", None, "Civil-society initiatives responding to the pandemic", "Germany + MENA"),
    (
        "26.08.2020",
        "13:00-16:00",
        "Crisis management: crisis teams and operations planning",
        "German and international",
    ),
    (
        "27.08.2020",
        "13:30-15:00",
        "Pandemic response in refugee-hosting municipalities",
        "Germany + MENA",
    ),
    (
        "28.09.2020",
        None,
        "Contact tracing and outbreak management, part 1",
        "German and international",
    ),
    (
        "07.10.2020",
        "13:00-15:30",
        "Digitalisation of municipal services",
        "Germany + South-East Europe",
    ),
    (
        "14.10.2020",
        None,
        "Avoiding infections through distance, communication and support of "
        "the informal sector, part 1",
        "Germany + Latin America",
    ),
    (
        "14.10.2020",
        None,
        "The role of innovation in containing the pandemic's effects",
        "Germany + MENA",
    ),
    (
        "27.10.2020",
        None,
        "Municipal services in the pandemic: water and waste, part 1",
        "Germany + Sub-Saharan Africa",
    ),
    (
        "28.10.2020",
        None,
        "Response dialogues: communication in the crisis",
        "German and international",
    ),
    (
        "29.10.2020",
        None,
        "Municipal services in the pandemic: water and waste, part 2",
        "Germany + Sub-Saharan Africa",
    ),
    ("04.11.2020", None, "Municipal services in pandemic times", "German and international"),
    ("05.11.2020", None, "Avoiding infections ..., part 2", "Germany + Latin America"),
    ("10.11.2020", None, "Economic impact and recovery, part 1", "Germany + Sub-Saharan Africa"),
    ("11.11.2020", None, "Economic development in times of crisis", "German and international"),
    ("12.11.2020", None, "Economic impact and recovery, part 2", "Germany + Sub-Saharan Africa"),
    (
        "17.11.2020",
        "13:00",
        "Municipal crisis management and green recovery",
        "Germany + South-East Europe and Caucasus",
    ),
    ("23.11.2020", None, "Virtual global exchange", "German and international"),
    ("09.12.2020", None, "Closing event of the series", "German and international"),
]
END_OF_DST_2020 = datetime(2020, 10, 25, 1, tzinfo=UTC)


def entered_series():
    """Each session resolved from the organisers' own words, as the operator enters it."""
    sessions = []
    for number, (day, hours, title, _audience) in enumerate(SERIES_2020):
        hours = hours or ASSUMED
        begin, _, finish = hours.partition("-")
        finish = finish or f"{int(begin[:2]) + 2:02d}{begin[2:]}"  # 17.11: two hours assumed
        start, end = resolve_span(f"{day} {begin}", f"{day} {finish}", BERLIN)
        written = datetime.strptime(f"{day} {begin}", "%d.%m.%Y %H:%M")
        sessions.append(
            SimpleNamespace(id=f"s{number:02d}", title=title, start=start, end=end, written=written)
        )
    return sessions


def test_the_published_anchors():
    by_title = {s.title: s for s in entered_series()}
    digital = by_title["Digitalisation of municipal services"]
    green = by_title["Municipal crisis management and green recovery"]
    assert (digital.start, digital.end) == (
        datetime(2020, 10, 7, 11, tzinfo=UTC),
        datetime(2020, 10, 7, 13, 30, tzinfo=UTC),
    )
    assert green.start == datetime(2020, 11, 17, 12, tzinfo=UTC)
    crisis = by_title["Crisis management: crisis teams and operations planning"]
    assert (crisis.start.hour, crisis.end.hour) == (11, 14)
    refugees = by_title["Pandemic response in refugee-hosting municipalities"]
    assert (refugees.start.hour, refugees.start.minute) == (11, 30)


def test_every_session_is_two_hours_behind_berlin_before_25_october_and_one_after():
    sessions = entered_series()
    assert len(sessions) == len(SERIES_2020)
    for session in sessions:
        berlin = local_view(session.start, session.end, BERLIN, BERLIN)
        expected = "+02:00" if session.start < END_OF_DST_2020 else "+01:00"
        assert berlin["start"].endswith(expected), session.title
        assert berlin["start_abbr"] == ("CEST" if expected == "+02:00" else "CET")
        assert berlin["day_shift"] == 0
        # What Berlin sees is the wall time the organisers wrote.
        assert datetime.fromisoformat(berlin["start"]).replace(tzinfo=None) == session.written
        offset = timedelta(hours=2 if expected == "+02:00" else 1)
        assert session.start == (session.written - offset).replace(tzinfo=UTC)


# (date, tz) -> (local start, abbr)
VIEWS = {
    ("07.10.2020", "Asia/Tbilisi"): ("2020-10-07T15:00:00+04:00", "+04"),
    ("07.10.2020", "Asia/Amman"): ("2020-10-07T14:00:00+03:00", "EEST"),
    ("07.10.2020", "America/Bogota"): ("2020-10-07T06:00:00-05:00", "-05"),
    ("27.10.2020", "Asia/Tbilisi"): ("2020-10-27T16:00:00+04:00", "+04"),
    ("27.10.2020", "Asia/Amman"): ("2020-10-27T15:00:00+03:00", "EEST"),
    ("27.10.2020", "America/Bogota"): ("2020-10-27T07:00:00-05:00", "-05"),
    ("29.10.2020", "Asia/Amman"): ("2020-10-29T15:00:00+03:00", "EEST"),
    ("04.11.2020", "Asia/Amman"): ("2020-11-04T14:00:00+02:00", "EET"),
    ("17.11.2020", "Asia/Tbilisi"): ("2020-11-17T16:00:00+04:00", "+04"),
    ("17.11.2020", "Asia/Amman"): ("2020-11-17T14:00:00+02:00", "EET"),
    ("17.11.2020", "America/Bogota"): ("2020-11-17T07:00:00-05:00", "-05"),
    ("17.11.2020", "Europe/Berlin"): ("2020-11-17T13:00:00+01:00", "CET"),
}


@pytest.mark.parametrize(("day", "tz"), list(VIEWS))
def test_schedule_seen_from_tbilisi_amman_and_bogota(day, tz):
    sessions = entered_series()
    session = next(
        s
        for s, row in zip(sessions, SERIES_2020, strict=True)
        if row[0] == day and row[1] != "13:30-15:00"
    )
    entry = schedule_entry(session, tz, BERLIN)
    assert entry["id"] == session.id and entry["title"] == session.title
    assert entry["start"].endswith("Z") and entry["end"].endswith("Z")
    local = entry["local"]
    assert (local["start"], local["start_abbr"]) == VIEWS[(day, tz)]
    assert local["end_abbr"] == local["start_abbr"]
    assert local["tz"] == tz and local["day_shift"] == 0


def test_schedule_entry_reads_mappings_too():
    row = {
        "id": 7,
        "title": "Closing",
        "start": datetime(2020, 12, 9, 12, tzinfo=UTC),
        "end": datetime(2020, 12, 9, 14),
    }  # naive end: a driver that dropped UTC
    entry = schedule_entry(row, "Asia/Taipei", BERLIN)
    assert entry == {
        "id": "7",
        "title": "Closing",
        "start": "2020-12-09T12:00:00Z",
        "end": "2020-12-09T14:00:00Z",
        "local": {
            "tz": "Asia/Taipei",
            "start": "2020-12-09T20:00:00+08:00",
            "end": "2020-12-09T22:00:00+08:00",
            "start_abbr": "CST",
            "end_abbr": "CST",
            "day_shift": 0,
        },
    }


@pytest.mark.parametrize(
    ("berlin_wall", "tz", "shift"),
    [
        ("2020-10-08T00:30", "America/Bogota", -1),  # 17:30 the evening before
        ("2020-10-07T18:30", "Asia/Taipei", 1),  # 00:30 the next morning
        ("2020-11-17T23:30", "Asia/Tbilisi", 1),
        ("2020-11-17T13:00", "Pacific/Kiritimati", 1),  # UTC+14
        ("2020-11-17T00:30", "Pacific/Pago_Pago", -1),  # UTC-11: 12:30 the day before
    ],
)
def test_day_shift(berlin_wall, tz, shift):
    start = resolve_instant(berlin_wall, BERLIN)
    view = local_view(start, start + timedelta(hours=2), tz, BERLIN)
    assert view["day_shift"] == shift


def test_local_times_of_the_7_october_session():
    start = datetime(2020, 10, 7, 11, tzinfo=UTC)
    zones = count_zones(
        ["Europe/Berlin"] * 3 + ["Asia/Tbilisi"] * 4 + ["America/Bogota"] * 2 + ["Asia/Taipei"]
    )
    rows = local_times(start, zones)
    assert [r["tz"] for r in rows] == [
        "America/Bogota",
        "Europe/Berlin",
        "Asia/Tbilisi",
        "Asia/Taipei",
    ]
    by_tz = {r["tz"]: r for r in rows}
    assert by_tz["America/Bogota"] == {
        "tz": "America/Bogota",
        "local_start": "2020-10-07T06:00:00-05:00",
        "abbr": "-05",
        "utc_offset": "-05:00",
        "people": 2,
        "outside_hours": True,
    }
    assert by_tz["Asia/Tbilisi"]["people"] == 4
    assert not by_tz["Europe/Berlin"]["outside_hours"]
    assert not by_tz["Asia/Taipei"]["outside_hours"]  # starts 19:00
    # With the end given, the whole session must fit: Taipei ends 21:30.
    rows = local_times(start, zones, end_utc=start + timedelta(hours=2, minutes=30))
    assert {r["tz"]: r["outside_hours"] for r in rows} == {
        "America/Bogota": True,
        "Europe/Berlin": False,
        "Asia/Tbilisi": False,
        "Asia/Taipei": True,
    }
    # Per-event working hours.
    rows = local_times(start, zones, "06:00-22:00", end_utc=start + timedelta(hours=2))
    assert not any(r["outside_hours"] for r in rows)


def test_reminder_people_entries():
    start = datetime(2020, 11, 17, 12, tzinfo=UTC)
    assert person_local_start("p1", "Asia/Amman", start) == {
        "person_id": "p1",
        "timezone": "Asia/Amman",
        "local_start": "2020-11-17T14:00:00+02:00",
        "abbr": "EET",
    }
