"""The speaker queue and chat on two `convene serve` processes (one PostgreSQL, one
Redis): one queue order and one chat for both, the call's floor change seen on
the other process, the rate limit counted across them, the booth private on
either. Run by ``test_multiprocess`` on its process pair (starting a pair of its
own would cost the suite about 15 s)."""

from __future__ import annotations

import asyncio

from tests.support.client import Api, make_world, ws_connect


async def queue_and_chat_are_one_across(a, b) -> None:
    w = await make_world(a)
    sid = w.session["id"]
    base = f"/api/sessions/{sid}"
    where = {"mod": a, "ar1": b, "ar2": a, "p1": a, "p2": b, "p3": b}
    ws = {k: await ws_connect(srv, sid, w.token(k)) for k, srv in where.items()}
    for c in ws.values():
        await c.next()
    apis = {k: Api(srv.url, w.token(k)) for k, srv in where.items()}
    try:
        # three hands at once through both processes: one order, positions 1..3
        hands = await asyncio.gather(
            *(apis[k].ok("POST", f"{base}/hands", {}, 201) for k in ("p1", "p2", "p3"))
        )
        assert sorted(h["position"] for h in hands) == [1, 2, 3]
        async with Api(b.url, w.token("mod")) as mod_b:
            order = [h["id"] for h in await mod_b.ok("GET", f"{base}/hands")]
            assert order == [h["id"] for h in sorted(hands, key=lambda h: h["position"])]
            arabic = hands[1]["id"]  # p2's: their language, Arabic
            reordered = [arabic, *(i for i in reversed(order) if i != arabic)]
            await mod_b.ok("PUT", f"{base}/hands/order", {"hand_ids": reordered})
        got = await ws["p1"].until(lambda f: f["type"] == "hands.reordered", timeout=10)
        assert got["data"]["hand_ids"] == reordered
        # the head speaks another language than the floor: both booths hear of it
        for k in ("ar1", "ar2"):
            up = await ws[k].until(
                lambda f: f["type"] == "floor.upcoming" and f["data"]["hand_id"] == arabic,
                timeout=10,
            )
            assert up["data"]["language"] == "ar"
        # the call on one process moves the floor for the clients of the other
        called = await apis["mod"].ok("POST", f"{base}/hands/{arabic}/call")
        assert called["language"] == "ar"
        floor = await ws["p3"].until(lambda f: f["type"] == "floor.language", timeout=10)
        assert floor["data"]["language"] == "ar"
        up = await ws["ar1"].until(lambda f: f["type"] == "floor.upcoming", timeout=10)
        after = next(h for h in hands if h["id"] == reordered[1])  # Russian or English
        assert (up["data"]["hand_id"], up["data"]["language"]) == (
            after["id"],
            after["language"],
        )
        # chat: the rate limit counts across processes
        codes = []
        for i in range(6):
            api = Api((a if i % 2 else b).url, w.token("p3"))
            async with api:
                r = await api.call("POST", f"{base}/messages", {"text": f"c{i}", "to": "room"})
            codes.append(r.status_code)
        assert codes == [201] * 5 + [429]
        await apis["ar1"].ok(
            "POST", f"{base}/messages", {"text": "switch at :30", "to": "booth"}, 201
        )
        await apis["mod"].ok("POST", f"{base}/messages", {"text": "end", "to": "room"}, 201)
        for c in ws.values():
            await c.until(lambda f: f.get("data", {}).get("text") == "end", timeout=10)
        seqs = {
            k: [(f["seq"], f["data"]["text"]) for f in c.frames if f["type"] == "chat.message"]
            for k, c in ws.items()
        }
        room = seqs["mod"]  # staff are not in the booth
        assert [t for _, t in room] == ["c0", "c1", "c2", "c3", "c4", "end"]
        for k in ("p1", "p2", "p3"):
            assert seqs[k] == room  # same seqs on both processes; no booth chat
        for k in ("ar1", "ar2"):
            texts = [t for _, t in seqs[k]]
            assert texts == ["c0", "c1", "c2", "c3", "c4", "switch at :30", "end"]
    finally:
        for api in apis.values():
            await api.http.aclose()
        for c in ws.values():
            await c.close()
