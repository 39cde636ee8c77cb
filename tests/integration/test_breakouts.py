"""Breakouts end to end: the scripted kick-off with real WebSocket clients, and bad input."""

from __future__ import annotations

import pytest

from server.demo import kickoff_people
from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

GROUPS = [
    ("Digital divide", ["ar"]),
    ("Digital literacy", ["ru"]),
    ("Public service design optimisation", []),
    ("Digitalisation of municipal services", []),
    ("City Lab collaborations", []),
]


async def _kickoff(server):
    async with Api(server.url, server.admin_token) as admin:
        event = await admin.ok("POST", "/api/events", {"title": "Kick-off 2021"}, 201)
        people = []
        for body in kickoff_people():
            people.append(await admin.ok("POST", f"/api/events/{event['id']}/people", body, 201))
        session = await admin.ok(
            "POST",
            f"/api/events/{event['id']}/sessions",
            {"title": "Kick-off plenary", "start": "2021-08-31T14:00", "end": "2021-08-31T16:00"},
            201,
        )
        await admin.ok("POST", f"/api/sessions/{session['id']}/status", {"status": "live"})
    return event, session, people


async def test_scripted_kickoff(server):
    event, session, people = await _kickoff(server)
    sid = session["id"]
    plenary = session["plenary_room_id"]
    mod = next(p for p in people if p["role"] == "moderator")
    participants = [p for p in people if p["role"] == "participant"]
    assert len(people) >= 40 and len(participants) >= 30
    clients = {}
    for p in people:
        if p["role"] in ("participant", "moderator"):
            c = await ws_connect(server, sid, p["token"])
            snap = await c.next()
            assert snap["data"]["you"]["room_id"] == plenary
            clients[p["id"]] = c
    m = clients[mod["id"]]
    api = Api(server.url, mod["token"])

    # plan by language: Arabic and Russian speakers only where their language is carried
    rnd = await api.ok(
        "POST",
        f"/api/sessions/{sid}/breakouts",
        {
            "rooms": [{"name": n, "languages": langs} for n, langs in GROUPS],
            "strategy": "by_language",
            "duration_s": 3,
            "countdown_s": 1,
        },
        201,
    )
    assert rnd["status"] == "planned" and rnd["unplaced"] == []
    rooms = {r["name"]: r for r in rnd["rooms"]}
    lang_of = {p["id"]: p.get("language") for p in participants}
    for r in rnd["rooms"]:
        for pid in r["members"]:
            if lang_of[pid] in ("ar", "ru"):
                assert lang_of[pid] in r["languages"], (r["name"], lang_of[pid])
    sizes = [len(r["members"]) for r in rnd["rooms"]]
    assert sum(sizes) == len(participants)

    # adjust the plan: exchange two English-speaking participants of different rooms
    en_rooms = [rooms[n] for n, langs in GROUPS if not langs]
    a, b = en_rooms[0]["members"][0], en_rooms[1]["members"][0]
    after = await api.ok(
        "POST",
        f"/api/sessions/{sid}/breakouts/{rnd['id']}/plan/exchange",
        {"person_a": a, "person_b": b},
    )
    planned = {pid: r["id"] for r in after["rooms"] for pid in r["members"]}
    assert planned[a] == en_rooms[1]["id"] and planned[b] == en_rooms[0]["id"]
    # a participant sees only their own planned room
    async with Api(server.url, participants[0]["token"]) as p0:
        mine = await p0.ok("GET", f"/api/sessions/{sid}/breakouts/{rnd['id']}")
    assert all("members" not in r for r in mine["rooms"])
    assert mine["your_room"] == planned[participants[0]["id"]]

    # open: everyone told their room, with one ends_at for all
    opened = await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    assert opened["status"] == "open"
    ends = set()
    for pid, c in clients.items():
        f = await c.until(lambda f: f["type"] == "breakout.opened")
        ends.add(f["data"]["ends_at"])
        if pid in planned:
            moved = await c.until(
                lambda f, pid=pid: f["type"] == "room.moved" and f["data"]["person_id"] == pid
            )
            assert moved["data"]["to_room"] == planned[pid]
    assert len(ends) == 1 and ends.pop().endswith("Z")

    # a multilingual broadcast: each client gets the text of the language it listens to
    await api.ok(
        "POST",
        f"/api/sessions/{sid}/broadcast",
        {
            "text": "5 minutes left",
            "translations": {"ar": "بقيت 5 دقائق", "ru": "Осталось 5 минут"},
        },
        201,
    )
    for pid, c in clients.items():
        f = await c.until(lambda f: f["type"] == "broadcast.message")
        expected = {"ar": "بقيت 5 دقائق", "ru": "Осталось 5 минут"}.get(lang_of.get(pid))
        assert f["data"]["text"] == (expected or "5 minutes left")

    # help: the moderators see who and where; the asker is told; a moderator arrives
    asker = next(p for p in participants if lang_of[p["id"]] == "ar")
    async with Api(server.url, asker["token"]) as ask:
        h = await ask.ok("POST", f"/api/sessions/{sid}/help", {"text": "no sound"}, 201)
    req = await m.until(lambda f: f["type"] == "help.requested")
    assert req["data"]["person_id"] == asker["id"]
    assert req["data"]["room_id"] == planned[asker["id"]]
    await clients[asker["id"]].until(lambda f: f["type"] == "help.received")
    others = [c for pid, c in clients.items() if pid in lang_of and pid != asker["id"]]
    await api.ok(
        "POST",
        f"/api/sessions/{sid}/moves",
        {"person_id": mod["id"], "room_id": planned[asker["id"]]},
    )
    res = await clients[asker["id"]].until(lambda f: f["type"] == "help.resolved")
    assert res["data"] == {
        "help_id": h["id"],
        "person_id": asker["id"],
        "reason": "moderator_arrived",
    }

    # someone drops out just before the timer closes the round
    gone = participants[1]["id"]
    await clients.pop(gone).close()
    closing = await m.until(lambda f: f["type"] == "breakout.closing", timeout=10)
    closed = await m.until(lambda f: f["type"] == "breakout.closed", timeout=10)
    assert closing["by"] is None and closing["seq"] < closed["seq"]
    async with Api(server.url, mod["token"]) as check:
        everyone = await check.ok("GET", f"/api/events/{event['id']}/people")
    placed = {p["id"]: p["room_id"] for p in everyone if p["role"] == "participant"}
    assert set(placed.values()) == {plenary}  # including the one who was offline
    back = await ws_connect(server, sid, next(p["token"] for p in people if p["id"] == gone))
    assert (await back.next())["data"]["you"]["room_id"] == plenary
    await back.close()
    for c in [c for c in others if c in clients.values()][:3]:
        await c.until(lambda f: f["type"] == "breakout.closed")
        assert not any("help.requested" == f["type"] for f in c.frames)
    await api.http.aclose()
    for c in clients.values():
        await c.close()


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
    import asyncio
    import datetime as dt

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
