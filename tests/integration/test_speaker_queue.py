"""The contract's "Speaker queue" with real clients: a hand raised in Arabic warns
the booths (``floor.upcoming``) and the moderators, not the participants; calling
it moves the floor with its retour and relay in the same transaction."""

from __future__ import annotations

import pytest

from tests.support.client import Api, join, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _types(ws, *types):
    return [f for f in ws.frames if f.get("type") in types]


async def test_a_hand_in_arabic_warns_the_booths_and_the_call_switches_the_channels(server):
    """(PostgreSQL: the same call across two processes, test_speakers_multiprocess.)"""
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    async with Api(server.url, server.admin_token) as admin:
        w.people["ru1"] = await admin.ok(
            "POST",
            f"/api/events/{w.event['id']}/people",
            {"name": "Irina Sokolova", "role": "interpreter", "interprets": ["en>ru"]},
            201,
        )
    ws = await join(server, w, "mod", "ar1", "ru1", "p1", "p2")
    base = f"/api/sessions/{sid}"
    async with (
        Api(server.url, w.token("mod")) as mod,
        Api(server.url, w.token("ar1")) as ar1,
        Api(server.url, w.token("ru1")) as ru1,
        Api(server.url, w.token("p2")) as p2,
    ):
        await ar1.ok("POST", f"{base}/channels/ar/on-air")
        await ru1.ok("POST", f"{base}/channels/ru/on-air")
        hand = await p2.ok("POST", f"{base}/hands", {}, 201)  # their language: Arabic
        assert hand["language"] == "ar" and hand["position"] == 1
        assert hand["room_id"] == plenary and hand["name"] == "Rami Aziz"
        for key in ("ar1", "ru1", "mod"):
            up = await ws[key].until(lambda f: f["type"] == "floor.upcoming")
            assert up["data"] == {
                "room_id": plenary,
                "language": "ar",
                "person_id": w.id("p2"),
                "hand_id": hand["id"],
            }
        raised = await ws["p1"].until(lambda f: f["type"] == "hand.raised")
        assert raised["data"]["hand_id"] == hand["id"]

        called = await mod.ok("POST", f"{base}/hands/{hand['id']}/call")
        assert called == {"person_id": w.id("p2"), "room_id": plenary, "language": "ar"}
        last = await ws["ar1"].until(
            lambda f: f["type"] == "floor.upcoming" and f["data"]["language"] is None
        )
        seen = [f for f in ws["ar1"].frames if f["seq"] > up["seq"] and f["seq"] <= last["seq"]]
        kinds = [f["type"] for f in seen]
        assert kinds.index("hand.lowered") < kinds.index("speaker.called")
        assert kinds.index("speaker.called") < kinds.index("floor.language")
        lowered = next(f for f in seen if f["type"] == "hand.lowered")
        assert lowered["data"]["reason"] == "called"
        # one transaction: the call's events are consecutive seqs
        call_seqs = [f["seq"] for f in seen if f["type"] != "floor.upcoming"]
        assert call_seqs == list(range(call_seqs[0], call_seqs[0] + len(call_seqs)))

        view = await mod.ok("GET", f"{base}/channels")
        room = next(r for r in view["rooms"] if r["room_id"] == plenary)
        assert room["floor_language"] == "ar"
        chans = {c["language"]: c for c in room["channels"]}
        assert chans["ar"]["source"]["kind"] == "floor"
        assert chans["en"]["on_air"] == w.id("ar1")  # the Arabic booth works its retour
        assert chans["ru"]["source"] == {"kind": "relay", "language": "en"}  # from the retour
        assert chans["ru"]["on_air"] == w.id("ru1")
        assert await mod.ok("GET", f"{base}/hands") == []
    # participants never hear of floor.upcoming
    await ws["p1"].until(lambda f: f["type"] == "speaker.called")
    assert not _types(ws["p1"], "floor.upcoming")
    assert not _types(ws["p2"], "floor.upcoming")
    for c in ws.values():
        await c.close()


async def test_the_queue_keeps_order_places_and_refuses_what_it_must(server):
    w = await make_world(server)
    sid = w.session["id"]
    ws = await join(server, w, "mod", "p1", "p2", "p3", "ar1")
    base = f"/api/sessions/{sid}"
    async with (
        Api(server.url, w.token("mod")) as mod,
        Api(server.url, w.token("p1")) as p1,
        Api(server.url, w.token("p2")) as p2,
        Api(server.url, w.token("p3")) as p3,
        Api(server.url, server.admin_token) as admin,
        Api(server.url, w.token("obs")) as obs,
    ):
        h3 = await p3.ok("POST", f"{base}/hands", {}, 201)
        assert h3["language"] == "en"  # no language of their own: the floor's
        h1 = await p1.ok("POST", f"{base}/hands", {}, 201)
        assert (h1["language"], h1["position"]) == ("ru", 2)
        h2 = await p2.ok("POST", f"{base}/hands", {"language": "en"}, 201)
        # a second raise: same hand, language updated in place, place kept
        again = await p1.ok("POST", f"{base}/hands", {"language": "ar"}, 200)
        assert (again["id"], again["position"], again["language"]) == (h1["id"], 2, "ar")
        changed = await ws["mod"].until(lambda f: f["type"] == "hand.changed")
        assert (changed["data"]["hand_id"], changed["data"]["language"]) == (h1["id"], "ar")
        assert len(_types(ws["mod"], "hand.raised")) == 3  # a change is not a new hand
        assert (await p1.call("POST", f"{base}/hands", {"language": "de"})).status_code == 422
        assert (await admin.call("POST", f"{base}/hands", {})).status_code == 403
        assert (await obs.call("POST", f"{base}/hands", {})).status_code == 403
        # participants neither reorder nor call nor dismiss another's hand
        order = {"hand_ids": [h2["id"], h1["id"], h3["id"]]}
        assert (await p1.call("PUT", f"{base}/hands/order", order)).status_code == 403
        assert (await p1.call("POST", f"{base}/hands/{h2['id']}/call")).status_code == 403
        assert (await p1.call("DELETE", f"{base}/hands/{h2['id']}")).status_code == 403
        # a list that is not exactly the queue: 409; an unknown id: 404
        short = {"hand_ids": [h2["id"], h1["id"]]}
        assert (await mod.call("PUT", f"{base}/hands/order", short)).status_code == 409
        twice = {"hand_ids": [h2["id"], h1["id"], h1["id"]]}
        assert (await mod.call("PUT", f"{base}/hands/order", twice)).status_code == 409
        unknown = {"hand_ids": [h2["id"], h1["id"], "00000000-0000-0000-0000-000000000000"]}
        assert (await mod.call("PUT", f"{base}/hands/order", unknown)).status_code == 404
        queue = await mod.ok("PUT", f"{base}/hands/order", order)
        assert [(h["id"], h["position"]) for h in queue] == [
            (h2["id"], 1),
            (h1["id"], 2),
            (h3["id"], 3),
        ]
        # English heads so far: the hands behind them in other languages are not upcoming
        await ws["ar1"].until(lambda f: f["type"] == "hands.reordered")
        assert not _types(ws["ar1"], "floor.upcoming")
        await p2.ok("DELETE", f"{base}/hands/{h2['id']}", status=204)
        up = await ws["ar1"].until(lambda f: f["type"] == "floor.upcoming")
        assert (up["data"]["hand_id"], up["data"]["language"]) == (h1["id"], "ar")
        await mod.ok("DELETE", f"{base}/hands/{h1['id']}", status=204)
        up = await ws["ar1"].until(lambda f: f["type"] == "floor.upcoming")
        assert (up["data"]["hand_id"], up["data"]["language"]) == (h3["id"], None)
        await ws["p3"].until(
            lambda f: f["type"] == "hand.lowered" and f["data"]["reason"] == "dismissed"
        )
        reasons = [f["data"]["reason"] for f in _types(ws["p3"], "hand.lowered")]
        assert reasons == ["lowered", "dismissed"]
        assert [h["id"] for h in await p3.ok("GET", f"{base}/hands")] == [h3["id"]]
        assert (await p3.call("DELETE", f"{base}/hands/{h1['id']}")).status_code == 403
        assert (await mod.call("DELETE", f"{base}/hands/{h1['id']}")).status_code == 409
        # the snapshot holds the queue
        fresh = await ws_connect(server, sid, w.token("p1"))
        snap = await fresh.next()
        assert [h["id"] for h in snap["data"]["hands"]] == [h3["id"]]
        await fresh.close()
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "ended"})
        assert (await p1.call("POST", f"{base}/hands", {})).status_code == 409
        gone = await ws["p3"].until(
            lambda f: f["type"] == "hand.lowered" and f["data"]["reason"] == "left"
        )
        assert gone["data"] == {
            "room_id": w.session["plenary_room_id"],
            "hand_id": h3["id"],
            "person_id": w.id("p3"),
            "reason": "left",
        }
    for c in ws.values():
        await c.close()


async def test_a_round_opening_lowers_the_hands_it_moves_and_going_offline_does_not(any_server):
    server = any_server
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    ws = await join(server, w, "mod", "p1", "p2", "p3")
    base = f"/api/sessions/{sid}"
    async with (
        Api(server.url, w.token("mod")) as mod,
        Api(server.url, w.token("p1")) as p1,
        Api(server.url, w.token("p3")) as p3,
    ):
        h1 = await p1.ok("POST", f"{base}/hands", {}, 201)
        h3 = await p3.ok("POST", f"{base}/hands", {}, 201)
        await ws["p3"].close()  # offline: the hand stays up
        await ws["mod"].until(
            lambda f: (
                f["type"] in ("presence.left", "presence.changed")
                and w.id("p3") in (f["data"].get("person_id"), *f["data"].get("left", []))
            )
        )
        assert [h["id"] for h in await mod.ok("GET", f"{base}/hands")] == [h1["id"], h3["id"]]
        rnd = await mod.ok(
            "POST",
            f"{base}/breakouts",
            {"rooms": [{"name": "Digital divide"}], "strategy": "manual", "countdown_s": 0},
            201,
        )
        room = rnd["rooms"][0]["id"]
        await mod.ok(
            "POST",
            f"{base}/breakouts/{rnd['id']}/plan/move",
            {"person_id": w.id("p1"), "room_id": room},
        )
        await mod.ok("POST", f"{base}/breakouts/{rnd['id']}/open")
        low = await ws["mod"].until(lambda f: f["type"] == "hand.lowered")
        assert low["data"]["reason"] == "moved" and low["data"]["hand_id"] == h1["id"]
        assert [h["id"] for h in await mod.ok("GET", f"{base}/hands")] == [h3["id"]]
        # a queue per room: p1 raises again in the breakout room
        h1b = await p1.ok("POST", f"{base}/hands", {}, 201)
        assert (h1b["room_id"], h1b["position"]) == (room, 1)
        assert [h["id"] for h in await p1.ok("GET", f"{base}/hands")] == [h1b["id"]]
        r = await p1.call("GET", f"{base}/hands?room_id={plenary}")
        assert r.status_code == 403
        assert [h["id"] for h in await mod.ok("GET", f"{base}/hands?room_id={room}")] == [h1b["id"]]
    for c in ws.values():
        await c.close()


async def test_attendance_counts_hands_raised_and_messages_sent(server):
    w = await make_world(server)
    sid = w.session["id"]
    ws = await join(server, w, "mod", "p1")
    base = f"/api/sessions/{sid}"
    async with Api(server.url, w.token("mod")) as mod, Api(server.url, w.token("p1")) as p1:
        first = await p1.ok("POST", f"{base}/hands", {}, 201)
        await p1.ok("POST", f"{base}/hands", {"language": "ar"}, 200)  # the same hand
        await p1.ok("DELETE", f"{base}/hands/{first['id']}", status=204)
        await p1.ok("POST", f"{base}/hands", {}, 201)
        for text in ("a question", "a follow-up"):
            await p1.ok("POST", f"{base}/messages", {"text": text, "to": "room"}, 201)
        await mod.ok("POST", f"{base}/messages", {"text": "noted", "to": w.id("p1")}, 201)
        report = {p["person_id"]: p for p in await mod.ok("GET", f"{base}/attendance")}
    assert (report[w.id("p1")]["hands"], report[w.id("p1")]["messages"]) == (2, 2)
    assert (report[w.id("mod")]["hands"], report[w.id("mod")]["messages"]) == (0, 1)
    for c in ws.values():
        await c.close()
