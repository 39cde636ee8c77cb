"""Calendars over HTTP read back exactly: every instant to the API's UTC instant
(the repeated autumn hour included) and every title as it was typed (line breaks as
LF), on both backends, in the event's calendar and in the personal feed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar

from tests.support.client import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

UTC = dt.UTC

# Session titles as typed, and as a calendar program must show them.
TITLES = [
    ("Kick-off\nDay 2", "Kick-off\nDay 2"),
    ("Kick-off\rDTSTART:19700101T000000Z", "Kick-off\nDTSTART:19700101T000000Z"),
    ("Welcome\r\nEND:VEVENT\r\nBEGIN:VEVENT", "Welcome\nEND:VEVENT\nBEGIN:VEVENT"),
    ("Q&A\twith the mayor", "Q&A\twith the mayor"),
    ("\u200fحوار البلديات\u200e 2020", "\u200fحوار البلديات\u200e 2020"),
]
# Both occurrences of a wall time that happens twice, written with explicit offsets.
REPEATED = [
    ("2020-10-25T02:30+02:00", "Europe/Berlin"),
    ("2020-10-25T02:30+01:00", "Europe/Berlin"),
    ("2020-11-01T01:30-04:00", "America/New_York"),
    ("2020-11-01T01:30-05:00", "America/New_York"),
]


def _unescape(raw: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def _read(ics: bytes) -> tuple[str, dict[str, tuple[dt.datetime, dt.datetime, str]]]:
    """(calendar name, {session id: (start, end, title)}), each TZID resolved with the
    file's own VTIMEZONE, a wall time read as its first occurrence (RFC 5545)."""
    assert ics.count(b"\r") == ics.count(b"\r\n") == ics.count(b"\n")
    cal = Calendar.from_ical(ics)
    zones = {str(c["TZID"]): c.to_tz(lookup_tzid=False) for c in cal.walk("VTIMEZONE")}
    out = {}
    for ev in cal.walk("VEVENT"):
        times = []
        for name in ("DTSTART", "DTEND"):
            prop = ev[name]
            tzid = prop.params.get("TZID")
            if tzid is None:
                assert prop.to_ical().endswith(b"Z")
                times.append(prop.dt.astimezone(UTC))
            else:
                times.append(prop.dt.replace(tzinfo=zones[tzid], fold=0).astimezone(UTC))
        out[str(ev["UID"]).removesuffix("@convene")] = (*times, str(ev["SUMMARY"]))
    return _unescape(str(cal["X-WR-CALNAME"])), out


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_calendars_read_back_the_apis_instants_and_titles(any_server):
    server = any_server
    async with Api(server.url, server.admin_token) as admin:
        event = await admin.ok("POST", "/api/events", {"title": "Dialogues\r\n2020"}, 201)
        eid = event["id"]
        me = await admin.ok(
            "POST", f"/api/events/{eid}/people", {"name": "Nino", "role": "participant"}, 201
        )
        made = []
        for i, (title, _) in enumerate(TITLES):
            day = f"2020-10-0{i + 1}"
            body = {"title": title, "start": f"{day}T13:00", "end": f"{day}T15:00"}
            made.append(await admin.ok("POST", f"/api/events/{eid}/sessions", body, 201))
        for start, zone in REPEATED:
            end = (_utc(start) + dt.timedelta(hours=1)).isoformat()
            body = {"title": start, "start": start, "end": end, "timezone": zone}
            made.append(await admin.ok("POST", f"/api/events/{eid}/sessions", body, 201))
        by_api = {s["id"]: s for s in await admin.ok("GET", f"/api/events/{eid}/sessions")}
    async with Api(server.url, me["token"]) as mine:
        event_ics = await mine.call("GET", f"/api/events/{eid}/calendar.ics")
        feed = await mine.ok(
            "POST", f"/api/events/{eid}/people/{me['id']}/calendar-token", status=201
        )
        feed_ics = await mine.call("GET", f"/api/calendar/{feed['token']}.ics")
    expected_titles = [want for _, want in TITLES] + [start for start, _ in REPEATED]
    for r in (event_ics, feed_ics):
        assert r.status_code == 200, r.text
        name, read = _read(r.content)
        assert name == "Dialogues\n2020"
        assert sorted(read) == sorted(s["id"] for s in made)
        for session, title in zip(made, expected_titles, strict=True):
            start, end, summary = read[session["id"]]
            api = by_api[session["id"]]
            assert (start, end) == (_utc(api["start"]), _utc(api["end"])), summary
            assert summary == title
    # the first of the repeated Berlin hours is 00:30Z, the second 01:30Z
    assert [_utc(by_api[s["id"]]["start"]).hour for s in made[-4:-2]] == [0, 1]
