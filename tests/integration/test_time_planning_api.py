"""Planning over HTTP: local times count where participants live, a reschedule or
cancellation reaches calendar and schedule, and the slot planner ranks working hours."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.client import Api
from tests.support.ics import calendar_events, utc_instant
from tests.support.time_audience import AUDIENCE, event_with

pytestmark = pytest.mark.asyncio(loop_scope="session")

UTC = dt.UTC


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
        event, people = await event_with(admin, "Staff elsewhere", staff_elsewhere)
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


async def test_reschedule_grows_sequence_and_cancel_is_in_calendar_and_schedule(server):
    async with Api(server.url, server.admin_token) as admin:
        event, people = await event_with(admin, "Response dialogues", {"mod": AUDIENCE["mod"]})
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
        before = {
            str(e["UID"]): e for e in calendar_events((await mod.call("GET", path)).content)[1]
        }
        await mod.ok(
            "PATCH",
            f"/api/sessions/{moved['id']}",
            {"start": "2020-10-28T14:00", "end": "2020-10-28T16:00"},
        )
        await mod.ok("POST", f"/api/sessions/{cancelled['id']}/status", {"status": "cancelled"})
        r = await mod.call("GET", path)
        cal, vevents = calendar_events(r.content)
        after = {str(e["UID"]): e for e in vevents}
        assert after.keys() == before.keys()
        m, c = after[f"{moved['id']}@convene"], after[f"{cancelled['id']}@convene"]
        assert int(m["SEQUENCE"]) > int(before[f"{moved['id']}@convene"]["SEQUENCE"])
        assert utc_instant(cal, m["DTSTART"]) == dt.datetime(2020, 10, 28, 13, tzinfo=UTC)
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
        event, made = await event_with(admin, "Germany + SEE and Caucasus", people)
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
