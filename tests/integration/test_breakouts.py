"""Breakout rounds over the API: bad input, conflicts and permissions, CSV plans, self-select,
latecomers, extending, recreating, uncovered language rooms and closes missed while down."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _round(api, sid, **body):
    base = {"count": 3, "strategy": "balanced"}
    return await api.ok("POST", f"/api/sessions/{sid}/breakouts", {**base, **body}, 201)


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"count": 0, "strategy": "balanced"}, "count"),
        ({"count": 101, "strategy": "balanced"}, "count"),
        ({"rooms": [{"name": "A"}, {"name": "a"}], "strategy": "balanced"}, "unique"),
        ({"count": 2, "strategy": "balanced", "duration_s": 0}, "duration_s"),
        ({"count": 2, "strategy": "alphabetical"}, "strategy"),
        ({"rooms": [{"name": "A", "languages": ["de"]}], "strategy": "by_language"}, "de"),
        ({"strategy": "balanced"}, "count"),
    ],
)
async def test_bad_rounds_are_422_and_create_nothing(server, body, needle):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        r = await api.call("POST", f"/api/sessions/{sid}/breakouts", body)
        assert r.status_code == 422 and needle in r.json()["detail"], r.text
        assert await api.ok("GET", f"/api/sessions/{sid}/breakouts") == []


async def test_round_conflicts_and_permissions(server):
    w = await make_world(server)
    other = await make_world(server, title="Other")
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        first = await _round(api, sid)
        second = await _round(api, sid)
        base = f"/api/sessions/{sid}/breakouts"
        await api.ok("POST", f"{base}/{first['id']}/open")
        r = await api.call("POST", f"{base}/{first['id']}/open")
        assert r.status_code == 409
        r = await api.call("POST", f"{base}/{second['id']}/open")
        assert r.status_code == 409 and "close it" in r.json()["detail"]
        # a room of another session is 404, and so is a person of another event
        other_room = other.session["plenary_room_id"]
        r = await api.call(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": other_room}
        )
        assert r.status_code == 404
        r = await api.call(
            "POST",
            f"/api/sessions/{sid}/moves",
            {"person_id": other.id("p1"), "room_id": w.session["plenary_room_id"]},
        )
        assert r.status_code == 404
        room = next(r["id"] for r in first["rooms"] if w.id("p1") not in r["members"])
        async with Api(server.url, w.token("p1")) as p1:
            r = await p1.call(
                "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p2"), "room_id": room}
            )
            assert r.status_code == 403
            r = await p1.call(
                "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": room}
            )
            assert r.status_code == 403  # not a self-select round
            r = await p1.call("POST", f"{base}/{first['id']}/close")
            assert r.status_code == 403
        await api.ok("POST", f"{base}/{first['id']}/close")
        r = await api.call("POST", f"{base}/{first['id']}/close")
        assert r.status_code == 409


async def test_csv_plan_lists_every_bad_line_and_applies_nothing(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        rnd = await api.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {
                "rooms": [{"name": "Digital divide"}, {"name": "City Lab collaborations"}],
                "strategy": "manual",
            },
            201,
        )
        url = f"/api/sessions/{sid}/breakouts/{rnd['id']}/plan"
        bad = (
            "email,room\nnino@example.org,Digital divide\nnobody@example.org,City Lab "
            "collaborations\nrami@example.org,Atlantis\n"
        )
        r = await api.call("PUT", url, content=bad.encode(), headers={"content-type": "text/csv"})
        assert r.status_code == 422
        lines = {e["line"] for e in r.json()["errors"]}
        assert lines == {3, 4}
        unchanged = await api.ok("GET", f"/api/sessions/{sid}/breakouts/{rnd['id']}")
        assert all(room["members"] == [] for room in unchanged["rooms"])
        good = (
            "email,room\nnino@example.org,Digital divide\n"
            "rami@example.org,City Lab collaborations\n"
        )
        r = await api.call("PUT", url, content=good.encode(), headers={"content-type": "text/csv"})
        assert r.status_code == 200, r.text
        plan = {room["name"]: room["members"] for room in r.json()["rooms"]}
        assert plan == {"Digital divide": [w.id("p1")], "City Lab collaborations": [w.id("p2")]}


async def test_self_select_respects_capacity(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        rnd = await api.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {
                "rooms": [{"name": "Small", "capacity": 1}, {"name": "Big"}],
                "strategy": "self_select",
            },
            201,
        )
        await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    small = rnd["rooms"][0]["id"]
    async with Api(server.url, w.token("p1")) as p1, Api(server.url, w.token("p2")) as p2:
        await p1.ok(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": small}
        )
        r = await p2.call(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p2"), "room_id": small}
        )
        assert r.status_code == 409 and "full" in r.json()["detail"]
        back = await p1.ok(
            "POST",
            f"/api/sessions/{sid}/moves",
            {"person_id": w.id("p1"), "room_id": w.session["plenary_room_id"]},
        )
        assert back["room_id"] == w.session["plenary_room_id"]


async def test_latecomer_learns_their_room_from_the_snapshot(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        rnd = await _round(api, sid, count=2)
        await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    late = await ws_connect(server, sid, w.token("p3"))
    snap = (await late.next())["data"]
    assert snap["round"]["status"] == "open"
    assert snap["you"]["room_id"] in {r["id"] for r in rnd["rooms"]}
    assert snap["round"]["your_room"] == snap["you"]["room_id"]
    await late.close()


async def test_extend_and_cancel_the_countdown(server):
    w = await make_world(server)
    sid = w.session["id"]
    c = await ws_connect(server, sid, w.token("p1"))
    await c.next()
    async with Api(server.url, w.token("mod")) as api:
        rnd = await _round(api, sid, duration_s=600, countdown_s=600)
        base = f"/api/sessions/{sid}/breakouts/{rnd['id']}"
        opened = await api.ok("POST", f"{base}/open")
        ext = await api.ok("POST", f"{base}/extend", {"seconds": 300})
        assert ext["ends_at"] > opened["ends_at"]
        await api.ok("POST", f"{base}/close")
        back = await api.ok("POST", f"{base}/cancel-close")
        assert back["status"] == "open"
    types = []
    while "breakout.close_cancelled" not in types:
        types.append((await c.next())["type"])
    assert [t for t in types if t.startswith("breakout.")] == [
        "breakout.opened",
        "breakout.extended",
        "breakout.closing",
        "breakout.close_cancelled",
    ]
    await c.close()


async def test_closed_round_can_be_recreated(server):
    w = await make_world(server)
    sid = w.session["id"]
    m = await ws_connect(server, sid, w.token("mod"))
    await m.next()
    async with Api(server.url, w.token("mod")) as api:
        rnd = await _round(api, sid, countdown_s=0)
        base = f"/api/sessions/{sid}/breakouts"
        await api.ok("POST", f"{base}/{rnd['id']}/open")
        await api.ok("POST", f"{base}/{rnd['id']}/close")
        await m.until(lambda f: f["type"] == "breakout.closed", timeout=5)
        await m.close()
        again = await api.ok("POST", f"{base}/{rnd['id']}/recreate", status=201)
        assert [r["name"] for r in again["rooms"]] == [r["name"] for r in rnd["rooms"]]
        assert sorted(sum((r["members"] for r in again["rooms"]), [])) == sorted(
            sum((r["members"] for r in rnd["rooms"]), [])
        )
        history = await api.ok("GET", base)
        assert [h["status"] for h in history] == ["closed", "planned"]


async def test_a_language_room_no_interpreter_covers_is_named_and_still_opens(server):
    w = await make_world(server)  # an Arabic booth, no Russian interpreter
    sid = w.session["id"]
    m = await ws_connect(server, sid, w.token("mod"))
    await m.next()
    base = f"/api/sessions/{sid}/breakouts"
    async with Api(server.url, w.token("mod")) as api:
        rnd = await api.ok(
            "POST",
            base,
            {
                "rooms": [
                    {"name": "Digital divide", "languages": ["ar"]},
                    {"name": "Digital literacy", "languages": ["ru"]},
                    {"name": "City Lab collaborations"},
                ],
                "strategy": "by_language",
                "countdown_s": 0,
            },
            201,
        )
        ru_room = next(r for r in rnd["rooms"] if r["name"] == "Digital literacy")
        assert rnd["uncovered"] == [
            {"room_id": ru_room["id"], "name": "Digital literacy", "language": "ru"}
        ]
        assert w.id("p1") in ru_room["members"]  # the Russian speaker still goes there
        opened = await api.ok("POST", f"{base}/{rnd['id']}/open")
        assert opened["status"] == "open"
        moved = await m.until(
            lambda f: f["type"] == "room.moved" and f["data"]["person_id"] == w.id("p1")
        )
        assert moved["data"]["to_room"] == ru_room["id"]
        await api.ok("POST", f"{base}/{rnd['id']}/close")
        await m.until(lambda f: f["type"] == "breakout.closed", timeout=5)
        # recreating the round says the same
        again = await api.ok("POST", f"{base}/{rnd['id']}/recreate", status=201)
        ru_again = next(r for r in again["rooms"] if r["name"] == "Digital literacy")
        assert ru_again["id"] != ru_room["id"]
        assert again["uncovered"] == [
            {"room_id": ru_again["id"], "name": "Digital literacy", "language": "ru"}
        ]
        assert (await api.ok("POST", f"{base}/{again['id']}/open"))["status"] == "open"
    await m.close()


async def test_a_close_missed_while_down_fires_at_start_up(tmp_path):
    from tests.support.server import ServerProcess

    env = {"CONVENE_DATABASE_URL": f"sqlite:///{tmp_path}/convene.db"}
    srv = ServerProcess(tmp_path, env).start()
    try:
        w = await make_world(srv)
        sid = w.session["id"]
        m = await ws_connect(srv, sid, w.token("mod"))
        await m.next()
        async with Api(srv.url, w.token("mod")) as api:
            rnd = await _round(api, sid, count=2, duration_s=1, countdown_s=0)
            await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        opened = await m.until(lambda f: f["type"] == "breakout.opened")
        await m.close()
    finally:
        srv.stop()  # down before the round's end
    ends = dt.datetime.fromisoformat(opened["data"]["ends_at"].replace("Z", "+00:00"))
    await asyncio.sleep(max(0.0, (ends - dt.datetime.now(dt.UTC)).total_seconds()) + 1.0)
    srv2 = ServerProcess(tmp_path, env, port=srv.port, admin_token=srv.admin_token).start()
    try:
        m = await ws_connect(srv2, sid, w.token("mod"), resume_from=opened["seq"])
        closing = await m.until(lambda f: f["type"] == "breakout.closing", timeout=8)
        assert closing["data"]["late_s"] >= 1.0
        await m.until(lambda f: f["type"] == "breakout.closed", timeout=8)
        async with Api(srv2.url, w.token("mod")) as api:
            people = await api.ok("GET", f"/api/events/{w.event['id']}/people")
        rooms = {p["room_id"] for p in people if p["role"] == "participant"}
        assert rooms <= {w.session["plenary_room_id"], None}
        await m.close()
    finally:
        srv2.stop()
