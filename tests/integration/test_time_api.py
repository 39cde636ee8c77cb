"""Time over HTTP: the 2020 series entered as the organisers wrote it, read back in
three zones, exported as a calendar and parsed back through its own VTIMEZONE; local
times and the per-person calendar feed."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.client import Api, ws_connect
from tests.support.ics import calendar_events, utc_instant
from tests.support.time_audience import AUDIENCE, event_with

pytestmark = pytest.mark.asyncio(loop_scope="session")

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")

# The series calendar of ../shared/context.md, as published ("all times Central
# European"); dates without a time get 13:00-15:00, the 23.11.-03.12. exchange its
# first day.
SERIES_2020 = [
    ("25.08.2020", None, "Civil-society initiatives responding to the pandemic"),
    ("26.08.2020", "13:00-16:00", "Crisis management: crisis teams and operations planning"),
    ("27.08.2020", "13:30-15:00", "Pandemic response in refugee-hosting municipalities"),
    ("28.09.2020", None, "Contact tracing and outbreak management, part 1"),
    ("07.10.2020", "13:00-15:30", "Digitalisation of municipal services"),
    ("14.10.2020", None, "Avoiding infections through distance, communication, part 1"),
    ("14.10.2020", None, "The role of innovation in containing the pandemic's effects"),
    ("27.10.2020", None, "Municipal services in the pandemic: water and waste, part 1"),
    ("28.10.2020", None, "Response dialogues: communication in the crisis"),
    ("29.10.2020", None, "Municipal services in the pandemic: water and waste, part 2"),
    ("04.11.2020", None, "Municipal services in pandemic times"),
    ("05.11.2020", None, "Avoiding infections ..., part 2"),
    ("10.11.2020", None, "Economic impact and recovery, part 1"),
    ("11.11.2020", None, "Economic development in times of crisis"),
    ("12.11.2020", None, "Economic impact and recovery, part 2"),
    ("17.11.2020", None, "Municipal crisis management and green recovery"),
    ("23.11.2020", None, "Virtual global exchange: 8 topics, 18 sessions"),
    ("09.12.2020", None, "Closing event of the series"),
]


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
async def series(server):
    """The 2020 series, entered by the moderator as wall times in Europe/Berlin."""
    async with Api(server.url, server.admin_token) as admin:
        event, people = await event_with(admin, "Municipal dialogues 2020", AUDIENCE)
    sessions = []
    async with Api(server.url, people["mod"]["token"]) as mod:
        for date, times, title in SERIES_2020:
            first, last = (times or "13:00-15:00").split("-")
            body = {"title": title, "start": f"{date} {first}", "end": f"{date} {last}"}
            sessions.append(await mod.ok("POST", f"/api/events/{event['id']}/sessions", body, 201))
    return {"event": event, "people": people, "sessions": sessions}


def _by_day(series: dict, date: str) -> dict:
    index = next(i for i, (d, _, _) in enumerate(SERIES_2020) if d == date)
    return series["sessions"][index]


async def test_series_is_stored_in_utc_across_the_end_of_summer_time(series):
    oct7, nov17 = _by_day(series, "07.10.2020"), _by_day(series, "17.11.2020")
    assert (oct7["start"], oct7["end"]) == ("2020-10-07T11:00:00Z", "2020-10-07T13:30:00Z")
    assert (nov17["start"], nov17["end"]) == ("2020-11-17T12:00:00Z", "2020-11-17T14:00:00Z")
    assert _by_day(series, "27.08.2020")["start"] == "2020-08-27T11:30:00Z"
    for (date, times, _), s in zip(SERIES_2020, series["sessions"], strict=True):
        assert s["timezone"] == "Europe/Berlin"
        wall = dt.datetime.strptime(f"{date} {(times or '13:00-')[:5]}", "%d.%m.%Y %H:%M")
        assert _utc(s["start"]) == wall.replace(tzinfo=BERLIN).astimezone(UTC)
        summer = _utc(s["start"]) < dt.datetime(2020, 10, 25, 1, tzinfo=UTC)
        assert _utc(s["start"]).hour == wall.hour - (2 if summer else 1)


@pytest.mark.parametrize(
    "who,tz,oct7,nov17",
    [
        (
            "tbilisi",
            "Asia/Tbilisi",
            ("2020-10-07T15:00:00+04:00", "+04", "2020-10-07T17:30:00+04:00"),
            ("2020-11-17T16:00:00+04:00", "+04", "2020-11-17T18:00:00+04:00"),
        ),
        (
            "amman",
            "Asia/Amman",
            ("2020-10-07T14:00:00+03:00", "EEST", "2020-10-07T16:30:00+03:00"),
            ("2020-11-17T14:00:00+02:00", "EET", "2020-11-17T16:00:00+02:00"),
        ),
        (
            "bogota",
            "America/Bogota",
            ("2020-10-07T06:00:00-05:00", "-05", "2020-10-07T08:30:00-05:00"),
            ("2020-11-17T07:00:00-05:00", "-05", "2020-11-17T09:00:00-05:00"),
        ),
    ],
)
async def test_participants_see_the_schedule_in_their_own_zone(
    server, series, who, tz, oct7, nov17
):
    async with Api(server.url, series["people"][who]["token"]) as me:
        rows = await me.ok("GET", f"/api/events/{series['event']['id']}/schedule")
        explicit = await me.ok("GET", f"/api/events/{series['event']['id']}/schedule?tz={tz}")
    assert rows == explicit
    assert len(rows) == len(SERIES_2020)
    assert {r["id"] for r in rows} == {s["id"] for s in series["sessions"]}
    assert [r["start"] for r in rows] == sorted(r["start"] for r in rows)
    assert all(set(r) == {"id", "title", "start", "end", "local", "status"} for r in rows)
    assert all(r["local"]["tz"] == tz and r["local"]["day_shift"] == 0 for r in rows)
    by_id = {r["id"]: r for r in rows}
    for date, (start, abbr, end) in (("07.10.2020", oct7), ("17.11.2020", nov17)):
        row = by_id[_by_day(series, date)["id"]]
        assert row["start"] == _by_day(series, date)["start"]
        local = row["local"]
        assert (local["start"], local["start_abbr"], local["end"], local["end_abbr"]) == (
            start,
            abbr,
            end,
            abbr,
        )
    for r in rows:  # every local time is the same instant as the UTC one
        assert _utc(r["local"]["start"]) == _utc(r["start"])
        assert (
            dt.datetime.fromisoformat(r["local"]["start"]).utcoffset()
            == _utc(r["start"]).astimezone(ZoneInfo(tz)).utcoffset()
        )


async def test_schedule_defaults_and_bad_zone(server, series):
    event_id = series["event"]["id"]
    async with Api(server.url, server.admin_token) as admin:
        rows = await admin.ok("GET", f"/api/events/{event_id}/schedule")
        abbrs = {r["local"]["start"][:10]: r["local"]["start_abbr"] for r in rows}
        assert abbrs["2020-10-07"] == "CEST" and abbrs["2020-11-17"] == "CET"
        assert rows[0]["local"]["tz"] == "Europe/Berlin"
        kiritimati = await admin.ok("GET", f"/api/events/{event_id}/schedule?tz=Pacific/Kiritimati")
        assert {r["local"]["day_shift"] for r in kiritimati} == {1}  # 01:00 next day at +14
        for bad in ("Mars/Olympus", "../etc/passwd", "europe/berlin"):
            r = await admin.call("GET", f"/api/events/{event_id}/schedule", params={"tz": bad})
            assert r.status_code == 422, r.text
            assert r.headers["content-type"] == "application/problem+json"
            problem = r.json()
            assert problem["field"] == "tz" and problem["value"] == bad and bad in problem["detail"]
    async with Api(server.url, series["people"]["obs"]["token"]) as obs:
        rows = await obs.ok("GET", f"/api/events/{event_id}/schedule")
        assert rows[0]["local"]["tz"] == "UTC"
    async with Api(server.url, None) as anon:
        assert (await anon.call("GET", f"/api/events/{event_id}/schedule")).status_code == 401


async def test_local_times_flag_zones_outside_working_hours(server, series):
    oct7 = _by_day(series, "07.10.2020")
    async with Api(server.url, series["people"]["berlin"]["token"]) as me:
        table = await me.ok("GET", f"/api/sessions/{oct7['id']}/local-times")
    assert table["session_id"] == oct7["id"] and table["start"] == "2020-10-07T11:00:00Z"
    assert table["working_hours"] == ["08:00", "21:00"]
    zones = {z["tz"]: z for z in table["zones"]}
    assert set(zones) == {"America/Bogota", "Europe/Berlin", "Asia/Amman", "Asia/Tbilisi"}
    assert [z["tz"] for z in table["zones"]][0] == "America/Bogota"  # by offset
    # participants only: the interpreter in Amman and the moderator in Berlin are staff
    assert zones["Asia/Amman"]["people"] == 1 and zones["Europe/Berlin"]["people"] == 1
    assert sum(z["people"] for z in table["zones"]) == 4
    assert zones["America/Bogota"]["local_start"] == "2020-10-07T06:00:00-05:00"
    assert zones["America/Bogota"]["outside_hours"] is True
    assert (
        zones["Asia/Tbilisi"]["abbr"] == "+04" and zones["Asia/Tbilisi"]["utc_offset"] == "+04:00"
    )
    assert not any(
        zones[z]["outside_hours"] for z in ("Europe/Berlin", "Asia/Amman", "Asia/Tbilisi")
    )


async def test_calendar_resolves_through_its_own_vtimezone(server, series):
    path = f"/api/events/{series['event']['id']}/calendar.ics"
    async with Api(server.url, series["people"]["bogota"]["token"]) as me:
        first, second = await me.call("GET", path), await me.call("GET", path)
    assert (
        first.status_code == 200 and first.headers["content-type"] == "text/calendar; charset=utf-8"
    )
    assert b"\r\n" in first.content
    cal, vevents = calendar_events(first.content)
    assert str(cal["X-WR-CALNAME"]) == "Municipal dialogues 2020"
    (vtz,) = cal.walk("VTIMEZONE")
    assert str(vtz["TZID"]) == "Europe/Berlin"
    assert {c.name for c in vtz.subcomponents} == {"STANDARD", "DAYLIGHT"}
    expected = {s["id"]: s for s in series["sessions"]}
    assert len(vevents) == len(expected)
    for ev in vevents:
        session = expected[str(ev["UID"]).removesuffix("@convene")]
        assert ev["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert utc_instant(cal, ev["DTSTART"]) == _utc(session["start"])
        assert utc_instant(cal, ev["DTEND"]) == _utc(session["end"])
        assert str(ev["SUMMARY"]) == session["title"]
        assert str(ev["STATUS"]) == "CONFIRMED" and int(ev["SEQUENCE"]) == 0
    oct7 = next(e for e in vevents if str(e["UID"]).startswith(_by_day(series, "07.10.2020")["id"]))
    assert oct7["DTSTART"].dt.replace(tzinfo=None) == dt.datetime(2020, 10, 7, 13, 0)
    assert sorted(str(e["UID"]) for e in vevents) == sorted(
        str(e["UID"]) for e in calendar_events(second.content)[1]
    )


async def test_calendar_links_the_console_join_page_and_names_its_websocket(server, series):
    """URL and LOCATION are the console's join page for the session, which a browser
    opens (the REST resource would answer 401); the description names the WebSocket
    that clients join. No token is written into the file."""
    session = _by_day(series, "07.10.2020")
    path = f"/api/events/{series['event']['id']}/calendar.ics"
    token = series["people"]["bogota"]["token"]
    async with Api(server.url, token) as me:
        r = await me.call("GET", path)
        ev = next(
            e for e in calendar_events(r.content)[1] if str(e["UID"]) == f"{session['id']}@convene"
        )
        join = f"{server.url}/join#session={session['id']}"
        assert str(ev["URL"]) == join and str(ev["LOCATION"]) == join
        assert token.encode() not in r.content
        ws_urls = re.findall(r"wss?://\S+", str(ev["DESCRIPTION"]))
        assert ws_urls == [f"{server.ws_url}/ws/sessions/{session['id']}"]
        got = await me.ok("GET", f"/api/sessions/{session['id']}")
        assert got["ws_url"] == ws_urls[0]
    async with httpx.AsyncClient(timeout=20) as browser:
        page = await browser.get(join.split("#")[0])
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    c = await ws_connect(server, session["id"], token)
    assert (await c.next())["type"] == "snapshot"
    await c.close()


async def test_calendar_feed_by_its_own_revocable_token(server, series):
    event_id = series["event"]["id"]
    me, other = series["people"]["tbilisi"], series["people"]["amman"]
    token_path = f"/api/events/{event_id}/people/{me['id']}/calendar-token"
    async with (
        Api(server.url, me["token"]) as mine,
        httpx.AsyncClient(base_url=server.url, timeout=20) as bare,
    ):
        issued = await mine.ok("POST", token_path, status=201)
        assert issued["url"].endswith(f"/api/calendar/{issued['token']}.ics")
        assert issued["token"] != me["token"]
        feed_path = f"/api/calendar/{issued['token']}.ics"
        r = await bare.get(feed_path)
        assert r.status_code == 200 and r.headers["content-type"] == "text/calendar; charset=utf-8"
        assert len(calendar_events(r.content)[1]) == len(SERIES_2020)

        # the two kinds of token never stand in for each other
        assert (await bare.get(f"/api/calendar/{me['token']}.ics")).status_code == 404
        assert (await bare.get(f"/api/calendar/{server.admin_token}.ics")).status_code == 404
        as_bearer = {"Authorization": f"Bearer {issued['token']}"}
        assert (await bare.get(f"/api/events/{event_id}", headers=as_bearer)).status_code == 401

        # a new token replaces the old one; revoking ends the feed
        again = await mine.ok("POST", token_path, status=201)
        assert (await bare.get(feed_path)).status_code == 404
        assert (await bare.get(f"/api/calendar/{again['token']}.ics")).status_code == 200
        assert (await mine.call("DELETE", token_path)).status_code == 204
        gone = await bare.get(f"/api/calendar/{again['token']}.ics")
        assert gone.status_code == 404
        assert gone.headers["content-type"] == "application/problem+json"

        # only for oneself, only in one's own event
        other_path = f"/api/events/{event_id}/people/{other['id']}/calendar-token"
        assert (await mine.call("POST", other_path)).status_code == 403
        assert (await mine.call("DELETE", other_path)).status_code == 403
        assert (await bare.post(token_path)).status_code == 401
    async with Api(server.url, server.admin_token) as admin:
        elsewhere, strangers = await event_with(admin, "Another event", {"x": AUDIENCE["berlin"]})
    stranger_id = strangers["x"]["id"]
    async with Api(server.url, me["token"]) as mine:
        r = await mine.call("POST", f"/api/events/{event_id}/people/{stranger_id}/calendar-token")
        assert r.status_code == 404
        r = await mine.call(
            "POST", f"/api/events/{elsewhere['id']}/people/{stranger_id}/calendar-token"
        )
        assert r.status_code == 404
    async with Api(server.url, series["people"]["mod"]["token"]) as mod:
        made = await mod.ok("POST", other_path, status=201)
        r = await mod.call("GET", f"/api/calendar/{made['token']}.ics")
        assert r.status_code == 200


async def test_other_events_ids_are_404(server, series):
    async with Api(server.url, server.admin_token) as admin:
        elsewhere, strangers = await event_with(admin, "Elsewhere", {"x": AUDIENCE["berlin"]})
    session_id = _by_day(series, "07.10.2020")["id"]
    async with Api(server.url, strangers["x"]["token"]) as stranger:
        for path in (
            f"/api/events/{series['event']['id']}/schedule",
            f"/api/events/{series['event']['id']}/calendar.ics",
            f"/api/sessions/{session_id}/local-times",
            f"/api/events/{series['event']['id']}/slots?duration=PT2H&from=2020-11-17T00:00:00Z&to=2020-11-18T00:00:00Z",
        ):
            r = await stranger.call("GET", path)
            assert r.status_code == 404, (path, r.text)
