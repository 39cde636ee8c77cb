"""Help requests as the contract's "Help (v1 amended)" says: interpreters ask too, one
open request per person, and an open request follows its asker to the plenary."""

from __future__ import annotations

import asyncio

import pytest

from server.event_registry import coerce
from tests.support.client import Api, make_world, ws_connect
from tests.support.db import log_rows

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_interpreter_may_ask_for_help_and_the_moderators_hear_of_it(server):
    w = await make_world(server)
    sid = w.session["id"]
    mod = await ws_connect(server, sid, w.token("mod"))
    booth = await ws_connect(server, sid, w.token("ar1"))
    await mod.next(), await booth.next()
    async with Api(server.url, w.token("ar1")) as ar1:
        h = await ar1.ok("POST", f"/api/sessions/{sid}/help", {"text": "no floor sound"}, 201)
    asked = await mod.until(lambda f: f["type"] == "help.requested")
    assert asked["data"]["help_id"] == h["id"] and asked["data"]["person_id"] == w.id("ar1")
    assert asked["data"]["room_id"] == w.session["plenary_room_id"]
    await booth.until(lambda f: f["type"] == "help.received")
    await mod.close(), await booth.close()


async def test_refusals_name_the_role_with_the_right_article(server):
    w = await make_world(server)
    async with Api(server.url, w.token("obs")) as obs:
        r = await obs.call("POST", f"/api/sessions/{w.session['id']}/help", {})
    assert r.status_code == 403
    assert r.json()["detail"].startswith("an observer may not do this")


async def test_a_second_open_request_returns_the_first_with_200(any_server):
    server = any_server
    w = await make_world(server)
    sid = w.session["id"]
    p1 = await ws_connect(server, sid, w.token("p1"))
    mod = await ws_connect(server, sid, w.token("mod"))
    await p1.next(), await mod.next()
    async with Api(server.url, w.token("p1")) as api, Api(server.url, w.token("mod")) as m:
        first = await api.ok("POST", f"/api/sessions/{sid}/help", {"text": "no sound"}, 201)
        again = await api.ok("POST", f"/api/sessions/{sid}/help", {"text": "still none"}, 200)
        assert again == first
        assert [h["id"] for h in await m.ok("GET", f"/api/sessions/{sid}/help")] == [first["id"]]
        # the moderators were told once; once it is closed, a new request is a new one
        await api.ok("DELETE", f"/api/sessions/{sid}/help/{first['id']}", status=204)
        await mod.until(lambda f: f["type"] == "help.resolved")
        asked = [f for f in mod.frames if f["type"] == "help.requested"]
        assert [f["data"]["help_id"] for f in asked] == [first["id"]]
        # asked three times at once: one request, the others get it back
        calls = [api.call("POST", f"/api/sessions/{sid}/help", {"text": "again"}) for _ in "abc"]
        answers = await asyncio.gather(*calls)
        assert sorted(r.status_code for r in answers) == [200, 200, 201]
        assert len({r.json()["id"] for r in answers}) == 1
        assert answers[0].json()["id"] != first["id"]
    await p1.close(), await mod.close()


async def test_an_open_request_follows_its_asker_to_the_plenary_when_the_round_closes(
    any_server,
):
    server = any_server
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    ws = {key: await ws_connect(server, sid, w.token(key)) for key in ("mod", "p1", "p2")}
    for c in ws.values():
        await c.next()
    async with Api(server.url, w.token("mod")) as mod, Api(server.url, w.token("p1")) as p1:
        rnd = await mod.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {"rooms": [{"name": "Digital divide"}], "strategy": "balanced", "countdown_s": 0},
            201,
        )
        room = rnd["rooms"][0]["id"]
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        await ws["p1"].until(lambda f: f["type"] == "room.moved" and f["data"]["to_room"] == room)
        h = await p1.ok("POST", f"/api/sessions/{sid}/help", {"text": "lost"}, 201)
        assert h["room_id"] == room
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/close")
        for key in ("mod", "p1"):
            moved = await ws[key].until(lambda f: f["type"] == "help.moved", timeout=10)
            assert moved["data"] == {
                "help_id": h["id"],
                "person_id": w.id("p1"),
                "from_room": room,
                "room_id": plenary,
                "room_name": "Plenary",
            }
        await ws["p2"].until(lambda f: f["type"] == "breakout.closed", timeout=10)
        assert not any(f["type"] == "help.moved" for f in ws["p2"].frames)
        (listed,) = await mod.ok("GET", f"/api/sessions/{sid}/help")
        assert listed["id"] == h["id"] and listed["room_id"] == plenary
        # a fresh moderator snapshot shows it where the asker is now
        fresh = await ws_connect(server, sid, w.token("mod"))
        snap = await fresh.next()
        assert [x["room_id"] for x in snap["data"]["help"]] == [plenary]
        await fresh.close()
    for c in ws.values():
        await c.close()
    stored = [(t, data) for _, t, data in log_rows(server, sid) if t == "help.moved"]
    assert len(stored) == 1
    coerce(*stored[0])  # the registry's schema


async def test_who_may_close_a_request_is_the_permission_table(server):
    """The asker cancels (help:cancel), a moderator dismisses (session:moderate); another
    participant and an observer are refused and the request stays open. Observers see
    every request (help:read), another participant none of it."""
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("p1")) as p1, Api(server.url, w.token("mod")) as mod:
        mine = await p1.ok("POST", f"/api/sessions/{sid}/help", {}, 201)
        for role, sees in (("p2", []), ("obs", [mine["id"]])):  # help:read: every request
            async with Api(server.url, w.token(role)) as other:
                listed = await other.ok("GET", f"/api/sessions/{sid}/help")
                r = await other.call("DELETE", f"/api/sessions/{sid}/help/{mine['id']}")
            assert [h["id"] for h in listed] == sees, role
            assert r.status_code == 403, (role, r.text)
        assert [h["status"] for h in await mod.ok("GET", f"/api/sessions/{sid}/help")] == ["open"]
        await p1.ok("DELETE", f"/api/sessions/{sid}/help/{mine['id']}", status=204)
        again = await p1.ok("POST", f"/api/sessions/{sid}/help", {}, 201)
        await mod.ok("DELETE", f"/api/sessions/{sid}/help/{again['id']}", status=204)
    closed = [d for _, t, d in log_rows(server, sid) if t == "help.resolved"]
    assert [d["reason"] for d in closed] == ["cancelled", "dismissed"]
