"""Attendance against a scripted session whose seconds the test knows: the stored
events' instants (which every client sees in ``at``) are the clock, so each person's
expected seconds are computed from the frames, independently of the tallies.

People join, open a second tab, change language, move into a breakout round and
back, leave; an observer and a never-connected person are not counted; the session
ends and ``attendance.ready`` reaches moderators and webhooks."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import uuid

import pytest

from tests.support.client import Api, make_world, ws_connect
from tests.support.receiver import Receiver, register_webhook
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

STEP = 0.6  # how long each scripted stretch lasts (the scenario, not a wait for state)
TOLERANCE = 1.0  # the bound per person; the figures are exact to 0.1 s


def at(frame: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(frame["at"].replace("Z", "+00:00"))


def stretches(marks: list[tuple[dt.datetime, str]], end: dt.datetime) -> dict[str, float]:
    """Seconds per value, from (instant, value it switches to) marks until ``end``."""
    out: dict[str, float] = {}
    for (t0, value), (t1, _) in zip(marks, [*marks[1:], (end, None)], strict=True):
        out[value] = out.get(value, 0.0) + (t1 - t0).total_seconds()
    return out


def close_to(got: dict[str, float], want: dict[str, float]) -> bool:
    keys = {k for k, v in {**got, **want}.items() if v > 0.05}
    return all(abs(got.get(k, 0) - want.get(k, 0)) <= TOLERANCE for k in keys)


async def test_scripted_session_attendance(any_server):
    server = any_server
    w = await make_world(server, status=None)
    eid, sid, plenary = w.event["id"], w.session["id"], w.session["plenary_room_id"]
    rx = await Receiver().start()
    async with Api(server.url, server.admin_token) as admin:
        for key, country, org in (("p1", "Georgia", "Tbilisi City Hall"), ("p2", "Jordan", None)):
            body = {"country": country} | ({"organisation": org} if org else {})
            await admin.ok("PATCH", f"/api/events/{eid}/people/{w.id(key)}", body)
        await register_webhook(admin, eid, rx.url, "s3cret-s3cret", ["attendance.ready"])
    mod_ws = await ws_connect(server, sid, w.token("mod"))
    await mod_ws.next()
    p1a = await ws_connect(server, sid, w.token("p1"))
    p2 = await ws_connect(server, sid, w.token("p2"))
    obs = await ws_connect(server, sid, w.token("obs"))
    for c in (p1a, p2, obs):
        await c.next()
    async with Api(server.url, w.token("mod")) as mod:
        # connected while the session is scheduled: not counted until it goes live
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "live"})
        live = at(await mod_ws.until(lambda f: f.get("type") == "session.status"))
        await asyncio.sleep(STEP)
        p1b = await ws_connect(server, sid, w.token("p1"))  # a second tab counts once
        await p1b.next()
        async with Api(server.url, w.token("p1")) as p1:
            await p1.ok("PUT", f"/api/sessions/{sid}/listening", {"language": "ar"})
            await p1.ok("POST", f"/api/sessions/{sid}/help", {"text": "no sound"}, 201)
        await p1b.until(lambda f: f.get("type") == "listening.changed")
        await asyncio.sleep(STEP)
        rnd = await mod.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {
                "rooms": [{"name": "Housing"}, {"name": "Climate", "languages": ["ar"]}],
                "strategy": "manual",
            },
            201,
        )
        housing, climate = (r["id"] for r in rnd["rooms"])
        await mod.ok(
            "PUT",
            f"/api/sessions/{sid}/breakouts/{rnd['id']}/plan",
            {"assignments": {w.id("p1"): housing, w.id("p2"): climate}},
        )
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        await mod_ws.until(
            lambda f: f.get("type") == "room.moved" and f["data"]["person_id"] == w.id("p2")
        )
        await asyncio.sleep(STEP)
        await mod.ok(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": plenary}
        )
        await mod_ws.until(
            lambda f: (
                f.get("type") == "room.moved"
                and f["data"]["person_id"] == w.id("p1")
                and f["data"]["to_room"] == plenary
            )
        )
        back = at(mod_ws.frames[-1])
        await p1b.until(  # p1 hears their choice again, back where it is carried
            lambda f: (
                f.get("type") == "listening.changed"
                and f["data"]["language"] == "ar"
                and at(f) >= back
            )
        )
        await asyncio.sleep(STEP / 2)
        await p1a.close()
        await p1b.close()
        left = at(
            await mod_ws.until(
                lambda f: f.get("type") == "presence.left" and f["data"]["person_id"] == w.id("p1")
            )
        )
        # p2 is online now: counted up to the request
        now_view = await mod.ok("GET", f"/api/sessions/{sid}/attendance")
        asked = dt.datetime.now(dt.UTC)
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "ended"})
        ready = await mod_ws.until(lambda f: f.get("type") == "attendance.ready")
        await p2.until(
            lambda f: f.get("type") == "session.status" and f["data"]["status"] == "ended"
        )
        end = at(
            next(
                f
                for f in mod_ws.frames
                if f.get("type") == "session.status" and f["data"]["status"] == "ended"
            )
        )
        report = {p["person_id"]: p for p in await mod.ok("GET", f"/api/sessions/{sid}/attendance")}
        summary = await mod.ok("GET", f"/api/events/{eid}/attendance")

    # the truth, from the frames: rooms from room.moved, languages from listening.changed
    def moves_of(pid: str) -> list[tuple[dt.datetime, str]]:
        marks = [(live, plenary)]
        for f in mod_ws.frames:
            if f.get("type") == "room.moved" and f["data"]["person_id"] == pid and at(f) > live:
                marks.append((at(f), f["data"]["to_room"]))
        return marks

    def heard_of(ws, first: str) -> list[tuple[dt.datetime, str]]:
        return [(live, first)] + [
            (at(f), f["data"]["language"])
            for f in ws.frames
            if f.get("type") == "listening.changed" and at(f) > live
        ]

    assert set(report) == {w.id("mod"), w.id("p1"), w.id("p2")}  # not obs, not p3
    p1r, p2r = report[w.id("p1")], report[w.id("p2")]
    assert abs(p1r["online_s"] - (left - live).total_seconds()) <= TOLERANCE
    assert abs(p2r["online_s"] - (end - live).total_seconds()) <= TOLERANCE
    want_rooms = stretches(moves_of(w.id("p1")), left)
    assert close_to({r["room_id"]: r["s"] for r in p1r["rooms"]}, want_rooms), p1r
    assert {r["room_id"]: r["name"] for r in p1r["rooms"]} == {
        plenary: "Plenary",
        housing: "Housing",
    }
    assert close_to(p1r["listened"], stretches(heard_of(p1b, "ru"), left)), p1r
    assert p1r["listened"].get("ar", 0) > STEP  # p1 chose Arabic for two stretches
    want_rooms = stretches(moves_of(w.id("p2")), end)
    assert close_to({r["room_id"]: r["s"] for r in p2r["rooms"]}, want_rooms), p2r
    assert close_to(p2r["listened"], stretches(heard_of(p2, "ar"), end)), p2r
    for person in report.values():  # rooms and languages each add up to the total
        assert abs(sum(r["s"] for r in person["rooms"]) - person["online_s"]) < 0.01
        assert abs(sum(person["listened"].values()) - person["online_s"]) < 0.01
    assert (p1r["help"], p1r["hands"], p1r["messages"], p2r["help"]) == (1, 0, 0, 0)
    assert p1r["country"] == "Georgia" and p1r["organisation"] == "Tbilisi City Hall"

    # asked while p2 was online: counted up to the request
    p2_then = next(p for p in now_view if p["person_id"] == w.id("p2"))
    last_seen = dt.datetime.fromisoformat(p2_then["last_seen"].replace("Z", "+00:00"))
    assert abs((asked - last_seen).total_seconds()) <= TOLERANCE
    assert abs(p2_then["online_s"] - (last_seen - live).total_seconds()) <= TOLERANCE

    session = summary["sessions"][0]
    assert ready["data"] == {**session, "start": ready["data"]["start"]}
    assert session["people"] == 3 and session["peak_online"] == 3
    assert session["by_country"] == {"Georgia": 1, "Jordan": 1, "unknown": 1}
    assert summary["unique_people"] == 3 and summary["countries"] == 2
    assert summary["organisations"] == 1
    assert sum(summary["by_language"].values()) == 3
    hooks = await rx.wait_for(lambda h, b: json.loads(b)["type"] == "attendance.ready")
    assert json.loads(hooks[0][1])["data"]["people"] == 3
    for c in (p2, obs, mod_ws):
        await c.close()
    await rx.close()


async def test_attendance_csv_for_spreadsheets_escapes_formulas(server):
    w = await make_world(server, status="live")
    eid, sid = w.event["id"], w.session["id"]
    names = ['=HYPERLINK("http://evil.example","x")', "+1", "-x", "@x"]
    async with Api(server.url, server.admin_token) as admin:
        tricky = [
            await admin.ok(
                "POST",
                f"/api/events/{eid}/people",
                {"name": n, "role": "participant", "organisation": "=1+1"},
                201,
            )
            for n in names
        ]
    for p in tricky:
        ws = await ws_connect(server, sid, p["token"])
        await ws.next()
        await ws.close()
    async with Api(server.url, w.token("obs")) as obs:
        r = await obs.http.get(
            f"/api/sessions/{sid}/attendance",
            params={"delimiter": "semicolon"},
            headers={"Accept": "text/csv"},
        )
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xef\xbb\xbf") and r.headers["content-type"].startswith(
        "text/csv"
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["person_id", "name", "role"]
    assert "room: Plenary" in rows[0] and "listened: en" in rows[0]
    assert sorted(row[1] for row in rows[1:]) == sorted("'" + n for n in names)
    assert {row[rows[0].index("organisation")] for row in rows[1:]} == {"'=1+1"}


async def test_two_processes_and_a_kill_9_agree_on_attendance(pg_server, tmp_path):
    """People on two processes: both answer the same report; one process is killed:
    its person counts until their lease expires (the stored presence.left)."""
    a = pg_server  # the shared PostgreSQL/Redis service, and a second process beside it
    b = ServerProcess(
        tmp_path,
        {
            **{k: v for k, v in a.env.items() if k.startswith("CONVENE_")},
            "CONVENE_INSTANCE_ID": f"att-{uuid.uuid4().hex[:6]}",
            "CONVENE_DATA_DIR": str(tmp_path / "data"),
            "CONVENE_PRESENCE_TTL_S": "2",
            "CONVENE_PRESENCE_RENEW_S": "0.5",
        },
        admin_token=a.admin_token,
    )
    with b:
        w = await make_world(a, status="live")
        sid = w.session["id"]
        watcher = await ws_connect(a, sid, w.token("mod"))
        await watcher.next()
        on_b = await ws_connect(b, sid, w.token("p1"))
        on_a = await ws_connect(a, sid, w.token("p2"))
        for c in (on_b, on_a):
            await c.next()
        pids = {w.id("p1"), w.id("p2")}

        def joined_frames() -> dict[str, dt.datetime]:
            return {
                f["data"]["person_id"]: at(f)
                for f in watcher.frames
                if f.get("type") == "presence.joined" and f["data"]["person_id"] in pids
            }

        while len(joined_frames()) < 2:
            await watcher.next()
        joined = joined_frames()
        await asyncio.sleep(STEP)
        await on_a.close()
        left_p2 = await watcher.until(
            lambda f: f.get("type") == "presence.left" and f["data"]["person_id"] == w.id("p2")
        )
        reports = []
        for srv in (a, b):  # whichever process answers, the same figures
            async with Api(srv.url, w.token("mod")) as mod:
                report = await mod.ok("GET", f"/api/sessions/{sid}/attendance")
            reports.append(next(p for p in report if p["person_id"] == w.id("p2")))
        assert reports[0] == reports[1] and reports[0]["last_seen"].endswith("Z")
        p2_s = (at(left_p2) - joined[w.id("p2")]).total_seconds()
        assert abs(reports[0]["online_s"] - p2_s) <= TOLERANCE
        b.kill()
        killed = dt.datetime.now(dt.UTC)
        left_p1 = await watcher.until(
            lambda f: f.get("type") == "presence.left" and f["data"]["person_id"] == w.id("p1"),
            timeout=20,
        )
        assert left_p1["by"] is None  # the sweep, once the lease lapsed
        async with Api(a.url, w.token("mod")) as mod:
            report = await mod.ok("GET", f"/api/sessions/{sid}/attendance")
        p1 = next(p for p in report if p["person_id"] == w.id("p1"))
        assert abs(p1["online_s"] - (at(left_p1) - joined[w.id("p1")]).total_seconds()) <= TOLERANCE
        assert p1["online_s"] >= (killed - joined[w.id("p1")]).total_seconds()
        await watcher.close()
