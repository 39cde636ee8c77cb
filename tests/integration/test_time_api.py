"""Time over HTTP: the 2020 series entered as the organisers wrote it, read back in
three zones, exported as a calendar and parsed back through its own VTIMEZONE; local
times, the slot planner and the per-person calendar feed."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar

from tests.support.client import Api, ws_connect

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

AUDIENCE = {
    "mod": {"name": "Mona Moderator", "role": "moderator", "timezone": "Europe/Berlin"},
    "tbilisi": {"name": "Nino Beridze", "role": "participant", "timezone": "Asia/Tbilisi"},
    "amman": {"name": "Rami Aziz", "role": "participant", "timezone": "Asia/Amman"},
    "bogota": {"name": "Camila Rojas", "role": "participant", "timezone": "America/Bogota"},
    "berlin": {"name": "Jonas Weber", "role": "participant", "timezone": "Europe/Berlin"},
    "interp": {
        "name": "Amal Haddad",
        "role": "interpreter",
        "interprets": ["en>ar", "ar>en"],
        "timezone": "Asia/Amman",
    },
    "obs": {"name": "Media bridge", "role": "observer"},  # UTC; not an audience
}


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _event(admin: Api, title: str, people: dict[str, dict]) -> tuple[dict, dict]:
    event = await admin.ok("POST", "/api/events", {"title": title}, 201)
    made = {}
    for key, body in people.items():
        made[key] = await admin.ok("POST", f"/api/events/{event['id']}/people", body, 201)
    return event, made


@pytest.fixture(scope="module")
async def series(server):
    """The 2020 series, entered by the moderator as wall times in Europe/Berlin."""
    async with Api(server.url, server.admin_token) as admin:
        event, people = await _event(admin, "Municipal dialogues 2020", AUDIENCE)
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


async def test_local_times_count_the_zones_participants_live_in_not_the_staffs(server):
    staff_elsewhere = {
        "mod": {"name": "M", "role": "moderator", "timezone": "Asia/Taipei"},
        "interp": {
            "name": "I",
            "role": "interpreter",
            "interprets": ["en>ar", "ar>en"],
            "timezone": "Africa/Cairo",
        },
        "obs": {"name": "Bridge", "role": "observer"},
        "nairobi": {"name": "Wanjiru", "role": "participant", "timezone": "Africa/Nairobi"},
    }
    async with Api(server.url, server.admin_token) as admin:
        event, people = await _event(admin, "Staff elsewhere", staff_elsewhere)
    async with Api(server.url, people["mod"]["token"]) as mod:
        s = await mod.ok(
            "POST",
            f"/api/events/{event['id']}/sessions",
            {"title": "Exchange", "start": "17.11.2020 13:00", "end": "17.11.2020 15:00"},
            201,
        )
        table = await mod.ok("GET", f"/api/sessions/{s['id']}/local-times")
    assert [(z["tz"], z["people"]) for z in table["zones"]] == [("Africa/Nairobi", 1)]
    assert table["zones"][0]["local_start"] == "2020-11-17T15:00:00+03:00"


def _events(ics: bytes) -> tuple[Calendar, list]:
    cal = Calendar.from_ical(ics)
    return cal, [c for c in cal.walk("VEVENT")]


def _resolve(cal: Calendar, prop) -> dt.datetime:
    """The UTC instant of a DTSTART/DTEND read through the file's own VTIMEZONE."""
    tzid = prop.params["TZID"]
    (vtz,) = [c for c in cal.walk("VTIMEZONE") if str(c["TZID"]) == tzid]
    own = vtz.to_tz(lookup_tzid=False)
    assert not isinstance(own, ZoneInfo)  # built from the file's rules, not looked up
    return prop.dt.replace(tzinfo=None).replace(tzinfo=own).astimezone(UTC)


async def test_calendar_resolves_through_its_own_vtimezone(server, series):
    path = f"/api/events/{series['event']['id']}/calendar.ics"
    async with Api(server.url, series["people"]["bogota"]["token"]) as me:
        first, second = await me.call("GET", path), await me.call("GET", path)
    assert (
        first.status_code == 200 and first.headers["content-type"] == "text/calendar; charset=utf-8"
    )
    assert b"\r\n" in first.content
    cal, vevents = _events(first.content)
    assert str(cal["X-WR-CALNAME"]) == "Municipal dialogues 2020"
    (vtz,) = cal.walk("VTIMEZONE")
    assert str(vtz["TZID"]) == "Europe/Berlin"
    assert {c.name for c in vtz.subcomponents} == {"STANDARD", "DAYLIGHT"}
    expected = {s["id"]: s for s in series["sessions"]}
    assert len(vevents) == len(expected)
    for ev in vevents:
        session = expected[str(ev["UID"]).removesuffix("@convene")]
        assert ev["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert _resolve(cal, ev["DTSTART"]) == _utc(session["start"])
        assert _resolve(cal, ev["DTEND"]) == _utc(session["end"])
        assert str(ev["SUMMARY"]) == session["title"]
        assert str(ev["STATUS"]) == "CONFIRMED" and int(ev["SEQUENCE"]) == 0
    oct7 = next(e for e in vevents if str(e["UID"]).startswith(_by_day(series, "07.10.2020")["id"]))
    assert oct7["DTSTART"].dt.replace(tzinfo=None) == dt.datetime(2020, 10, 7, 13, 0)
    assert sorted(str(e["UID"]) for e in vevents) == sorted(
        str(e["UID"]) for e in _events(second.content)[1]
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
        ev = next(e for e in _events(r.content)[1] if str(e["UID"]) == f"{session['id']}@convene")
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


async def test_reschedule_grows_sequence_and_cancel_is_in_calendar_and_schedule(server):
    async with Api(server.url, server.admin_token) as admin:
        event, people = await _event(admin, "Response dialogues", {"mod": AUDIENCE["mod"]})
    async with Api(server.url, people["mod"]["token"]) as mod:
        sessions = [
            await mod.ok(
                "POST",
                f"/api/events/{event['id']}/sessions",
                {"title": title, "start": f"{day} 13:00", "end": f"{day} 15:00"},
                201,
            )
            for title, day in (("Communication", "28.10.2020"), ("Water", "29.10.2020"))
        ]
        moved, cancelled = sessions
        path = f"/api/events/{event['id']}/calendar.ics"
        before = {str(e["UID"]): e for e in _events((await mod.call("GET", path)).content)[1]}
        await mod.ok(
            "PATCH",
            f"/api/sessions/{moved['id']}",
            {"start": "2020-10-28T14:00", "end": "2020-10-28T16:00"},
        )
        await mod.ok("POST", f"/api/sessions/{cancelled['id']}/status", {"status": "cancelled"})
        r = await mod.call("GET", path)
        cal, vevents = _events(r.content)
        after = {str(e["UID"]): e for e in vevents}
        assert after.keys() == before.keys()
        m, c = after[f"{moved['id']}@convene"], after[f"{cancelled['id']}@convene"]
        assert int(m["SEQUENCE"]) > int(before[f"{moved['id']}@convene"]["SEQUENCE"])
        assert _resolve(cal, m["DTSTART"]) == dt.datetime(2020, 10, 28, 13, tzinfo=UTC)
        assert str(c["STATUS"]) == "CANCELLED" and str(m["STATUS"]) == "CONFIRMED"
        # a CANCEL is applied by calendar programs only with a higher SEQUENCE
        assert int(c["SEQUENCE"]) > int(before[f"{cancelled['id']}@convene"]["SEQUENCE"])
        assert str(before[f"{cancelled['id']}@convene"]["STATUS"]) == "CONFIRMED"
        assert str(m["DESCRIPTION"]) == str(before[f"{moved['id']}@convene"]["DESCRIPTION"])
        rows = await mod.ok("GET", f"/api/events/{event['id']}/schedule")
        assert [(row["id"], row["status"]) for row in rows] == [
            (moved["id"], "scheduled"),
            (cancelled["id"], "cancelled"),
        ]


SOUTH_EAST_AND_CAUCASUS = [
    "Europe/Berlin",
    "Europe/Berlin",
    "Europe/Belgrade",
    "Europe/Sarajevo",
    "Europe/Tirane",
    "Europe/Chisinau",
    "Europe/Kyiv",
    "Europe/Minsk",
    "Europe/Istanbul",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Asia/Baku",
]


async def test_slots_rank_early_afternoon_berlin_above_six_in_the_morning(server):
    people = {
        f"p{i}": {"name": f"P{i}", "role": "participant", "timezone": tz}
        for i, tz in enumerate(SOUTH_EAST_AND_CAUCASUS)
    }
    people["mod"] = AUDIENCE["mod"]
    async with Api(server.url, server.admin_token) as admin:
        event, made = await _event(admin, "Germany + SEE and Caucasus", people)
    path = f"/api/events/{event['id']}/slots"
    window = {"from": "2020-11-17T00:00:00+01:00", "to": "2020-11-18T00:00:00+01:00"}
    async with Api(server.url, made["mod"]["token"]) as mod:
        plan = await mod.ok(
            "GET",
            f"{path}?duration=PT2H&from=2020-11-17T00:00:00Z&to=2020-11-18T00:00:00Z&limit=100",
        )
        assert plan["duration"] == "PT2H" and plan["working_hours"] == ["08:00", "21:00"]
        assert (plan["from"], plan["to"]) == ("2020-11-17T00:00:00Z", "2020-11-18T00:00:00Z")
        starts = [s["start"] for s in plan["slots"]]
        afternoon = starts.index("2020-11-17T12:00:00Z")  # 13:00 CET
        dawn = starts.index("2020-11-17T05:00:00Z")  # 06:00 CET
        assert afternoon < dawn
        best = plan["slots"][afternoon]
        assert best["inside"] == best["total"] == 12 and best["outside"] == []
        early = plan["slots"][dawn]
        outside_zones = {row["tz"] for row in early["outside"]}
        assert "Europe/Berlin" in outside_zones and early["inside"] < best["inside"]
        assert plan["slots"][0]["inside"] == 12
        raw = await mod.call(  # "+01:00" typed unencoded into the URL arrives as " 01:00"
            "GET", f"{path}?duration=PT2H&from={window['from']}&to={window['to']}&limit=1"
        )
        assert raw.status_code == 200 and raw.json()["from"] == "2020-11-16T23:00:00Z"
        berlin = next(z for z in best["zones"] if z["tz"] == "Europe/Berlin")
        assert berlin["local_start"] == "2020-11-17T13:00:00+01:00" and berlin["abbr"] == "CET"

        for params, field, value in [
            ({**window, "duration": "PT25H"}, "duration", "PT25H"),
            (
                {"duration": "PT2H", "from": "2020-01-01T00:00:00Z", "to": "2020-04-01T00:00:00Z"},
                "to",
                "2020-04-01T00:00:00Z",
            ),
            ({"duration": "P1Y", "from": window["from"], "to": window["to"]}, "duration", "P1Y"),
            (
                {"duration": "PT2H", "from": "2020-11-17T00:00", "to": window["to"]},
                "from",
                "2020-11-17T00:00",
            ),
        ]:
            r = await mod.call("GET", path, params=params)
            assert r.status_code == 422, r.text
            problem = r.json()
            assert problem["field"] == field and problem["value"] == value, problem
            assert value in problem["detail"]
        r = await mod.call("GET", path, params={"from": window["from"], "to": window["to"]})
        assert r.status_code == 422 and "duration" in r.json()["detail"]
    async with Api(server.url, made["p0"]["token"]) as participant:
        r = await participant.call("GET", path, params={**window, "duration": "PT2H"})
        assert r.status_code == 403


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
        assert len(_events(r.content)[1]) == len(SERIES_2020)

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
        elsewhere, strangers = await _event(admin, "Another event", {"x": AUDIENCE["berlin"]})
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
        elsewhere, strangers = await _event(admin, "Elsewhere", {"x": AUDIENCE["berlin"]})
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
