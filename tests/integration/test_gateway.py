"""The WebSocket gateway against a real server with real clients."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_snapshot_first_then_live_events_in_order(server):
    w = await make_world(server)
    sid = w.session["id"]
    p1 = await ws_connect(server, sid, w.token("p1"))
    snap = await p1.next()
    assert snap["type"] == "snapshot"
    assert snap["data"]["session"]["status"] == "live"
    assert snap["data"]["you"]["room_id"] == w.session["plenary_room_id"]
    assert snap["data"]["server_time"].endswith("Z")
    assert "people" not in snap["data"]  # participants do not see everyone
    async with Api(server.url, w.token("mod")) as mod:
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "Welcome"}, 201)
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "ended"})
    b = await p1.until(lambda f: f["type"] == "broadcast.message")
    st = await p1.until(lambda f: f["type"] == "session.status")
    assert snap["seq"] < b["seq"] < st["seq"]
    assert st["data"] == {"status": "ended", "previous": "live", "late_s": None}
    assert st["by"] == w.id("mod") and st["session_id"] == sid and st["at"].endswith("Z")
    await p1.close()


async def test_header_token_and_ping(server):
    w = await make_world(server)
    c = await ws_connect(server, w.session["id"], w.token("mod"), header=True)
    snap = await c.next()
    assert {p["name"] for p in snap["data"]["people"]} >= {"Mona Moderator", "Nino Beridze"}
    await c.send({"type": "ping"})
    pong = await c.until(lambda f: f["type"] == "pong")
    assert pong["server_time"].endswith("Z")
    await c.close()


@pytest.mark.parametrize(
    "case,code",
    [("none", 4401), ("bad", 4401), ("unknown", 4404), ("other_event", 4404)],
)
async def test_refusals_are_close_codes_after_accept(server, case, code):
    w = await make_world(server)
    other = await make_world(server, title="Other")
    sid, token = w.session["id"], w.token("p1")
    if case == "none":
        token = None
    elif case == "bad":
        token = "not-a-token"
    elif case == "unknown":
        sid = "00000000-0000-0000-0000-000000000000"
    elif case == "other_event":
        sid = other.session["id"]
    c = await ws_connect(server, sid, token)
    assert await c.closed_with() == code


async def test_browser_origin_is_checked_but_non_browsers_pass(server):
    w = await make_world(server)
    bad = await ws_connect(server, w.session["id"], w.token("p1"), origin="https://evil.example")
    assert await bad.closed_with() == 4403
    good = await ws_connect(
        server, w.session["id"], w.token("p1"), origin="https://app.convene.example"
    )
    assert (await good.next())["type"] == "snapshot"
    await good.close()


async def test_bad_frames_get_error_frames_and_change_nothing(server):
    w = await make_world(server)
    c = await ws_connect(server, w.session["id"], w.token("p1"))
    snap = await c.next()
    await c.send("this is not json")
    err = await c.next()
    assert err["type"] == "error" and err["error"] == "bad_frame"
    await c.send({"type": "launch_missiles"})
    err = await c.next()
    assert err["type"] == "error" and "launch_missiles" in err["detail"]
    await c.send({"type": "ping"})
    assert (await c.next())["type"] == "pong"
    async with Api(server.url, w.token("mod")) as mod:
        s = await mod.ok("GET", f"/api/sessions/{w.session['id']}")
    assert s["seq"] == snap["seq"]  # nothing was stored
    await c.close()


async def test_oversized_frame_closes_1009(server):
    w = await make_world(server)
    c = await ws_connect(server, w.session["id"], w.token("p1"))
    await c.next()
    await c.send("x" * 70_000)
    assert await c.closed_with() == 1009


async def test_flooding_client_is_closed_4429(server):
    w = await make_world(server)
    c = await ws_connect(server, w.session["id"], w.token("p1"))
    await c.next()
    for _ in range(200):
        await c.send({"type": "ping"})
    assert await c.closed_with() == 4429


async def test_two_connections_are_present_once(server):
    w = await make_world(server)
    sid = w.session["id"]
    mod = await ws_connect(server, sid, w.token("mod"))
    await mod.next()
    a = await ws_connect(server, sid, w.token("p1"))
    await a.next()
    joined = await mod.until(
        lambda f: f["type"] == "presence.joined" and f["data"]["person_id"] == w.id("p1")
    )
    assert joined["data"]["room_id"] == w.session["plenary_room_id"]
    b = await ws_connect(server, sid, w.token("p1"))
    await b.next()
    await a.close()
    await b.close()
    left = await mod.until(lambda f: f["type"] == "presence.left")
    assert left["data"]["person_id"] == w.id("p1")
    joins = [
        f
        for f in mod.frames
        if f["type"] == "presence.joined" and f["data"]["person_id"] == w.id("p1")
    ]
    lefts = [f for f in mod.frames if f["type"] == "presence.left"]
    assert len(joins) == 1 and len(lefts) == 1
    async with Api(server.url, w.token("mod")) as api:
        people = await api.ok("GET", f"/api/events/{w.event['id']}/people")
    p1 = next(p for p in people if p["id"] == w.id("p1"))
    assert p1["online"] is False and p1["room_id"] == w.session["plenary_room_id"]
    await mod.close()


async def test_resume_replays_exactly_the_missed_visible_events(server):
    w = await make_world(server)
    sid = w.session["id"]
    c = await ws_connect(server, sid, w.token("p1"))
    snap = await c.next()
    last = snap["seq"]
    await c.close()
    async with Api(server.url, w.token("mod")) as mod:
        for i in range(50):
            await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": f"note {i}"}, 201)
    c = await ws_connect(server, sid, w.token("p1"), resume_from=last)
    frames = []
    while True:
        f = await c.next()
        frames.append(f)
        if f["type"] == "broadcast.message" and f["data"]["text"] == "note 49":
            break
    assert all(f["type"] != "snapshot" for f in frames)
    notes = [f["data"]["text"] for f in frames if f["type"] == "broadcast.message"]
    assert notes == [f"note {i}" for i in range(50)]
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs)) and seqs[0] > last
    # moderators-only events (presence of p1 itself) are not replayed to a participant
    assert {f["type"] for f in frames} <= {"broadcast.message", "presence.left", "presence.joined"}
    await c.close()


async def test_resume_from_unknown_position_gets_a_snapshot(server):
    w = await make_world(server)
    c = await ws_connect(server, w.session["id"], w.token("p1"), resume_from=10**9)
    assert (await c.next())["type"] == "snapshot"
    await c.close()


async def test_status_change_reaches_every_client_once_and_in_order(server):
    w = await make_world(server, status=None)
    sid = w.session["id"]
    clients = [await ws_connect(server, sid, w.token(k)) for k in ("p1", "p2", "p3", "obs")]
    for c in clients:
        await c.next()
    async with Api(server.url, w.token("mod")) as mod:
        for status in ("lobby", "live", "ended"):
            await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": status})
    for c in clients:
        await c.until(lambda f: f["type"] == "session.status" and f["data"]["status"] == "ended")
        got = [(f["data"]["status"], f["seq"]) for f in c.frames if f["type"] == "session.status"]
        assert [s for s, _ in got] == ["lobby", "live", "ended"]
        assert [q for _, q in got] == sorted(q for _, q in got)
        await c.close()


async def test_reissued_token_ends_the_old_one(server):
    w = await make_world(server)
    sid = w.session["id"]
    c = await ws_connect(server, sid, w.token("p3"))
    await c.next()
    async with Api(server.url, w.token("mod")) as mod:
        new = await mod.ok("POST", f"/api/events/{w.event['id']}/people/{w.id('p3')}/token")
    assert new["token"] != w.token("p3")
    assert await c.closed_with() == 4401
    async with Api(server.url, w.token("p3")) as old:
        r = await old.call("GET", f"/api/events/{w.event['id']}")
        assert r.status_code == 401
    async with Api(server.url, new["token"]) as fresh:
        await fresh.ok("GET", f"/api/events/{w.event['id']}")


async def test_tokens_never_appear_in_the_log(server):
    w = await make_world(server)
    token = w.token("p2")
    c = await ws_connect(server, w.session["id"], token)
    await c.next()
    await c.close()
    bad = await ws_connect(server, w.session["id"], token + "x")
    await bad.closed_with()
    await asyncio.wait_for(_log_mentions(server, w.session["id"]), 5)
    log = server.log()
    assert token not in log and server.admin_token not in log


async def _log_mentions(server, text: str) -> None:
    while text not in server.log():
        await asyncio.sleep(0.05)


async def test_metrics_count_connections_events_and_resumes(server):
    w = await make_world(server)
    sid = w.session["id"]
    c = await ws_connect(server, sid, w.token("p1"))
    snap = await c.next()
    async with Api(server.url, w.token("mod")) as mod:
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "m"}, 201)
    await c.until(lambda f: f["type"] == "broadcast.message")
    r2 = await ws_connect(server, sid, w.token("p2"), resume_from=snap["seq"])
    # the replayed broadcast is sent just before the connection joins the live feed
    await r2.until(lambda f: f["type"] == "broadcast.message")
    async with Api(server.url, None) as anon:
        r = await anon.call("GET", "/metrics")
    text = r.text
    assert r.status_code == 200 and "text/plain" in r.headers["content-type"]

    def value(name: str) -> float:
        line = next(
            ln for ln in text.splitlines() if ln.startswith(name + " ") or ln.startswith(name + "{")
        )
        return float(line.rsplit(" ", 1)[1])

    assert value("convene_connections") >= 2
    assert value("convene_events_stored_total") >= 3
    assert value("convene_events_delivered_total") >= 1
    assert 'convene_resumes_total{answer="replay"}' in text
    assert value("convene_fanout_latency_seconds_count") >= 1
    for name in ("convene_slow_client_closes", "convene_broker_reconnects"):
        assert name in text
    await c.close()
    await r2.close()
