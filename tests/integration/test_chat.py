"""The contract's "Chat" with real clients: who sees what (live and on resume), the
booth's privacy, plain text, the rate limit, deletion everywhere, history by seq."""

from __future__ import annotations

import orjson
import pytest

from tests.support.client import Api, join, make_world, ws_connect
from tests.support.db import log_rows, query
from tests.support.receiver import Receiver

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _chats(ws) -> list[str]:
    return [f["data"]["text"] for f in ws.frames if f.get("type") == "chat.message"]


async def test_each_audience_live_and_on_resume(server):
    """(PostgreSQL: the same rules across two processes, test_speakers_multiprocess.)"""
    w = await make_world(server)
    sid = w.session["id"]
    ws = await join(server, w, "mod", "obs", "ar1", "ar2", "p1", "p2")
    away = await ws_connect(server, sid, w.token("p1"))  # p1's second device, back later
    resume_from = (await away.next())["seq"]
    await away.close()
    url = f"/api/sessions/{sid}/messages"
    tokens = {k: w.token(k) for k in ("mod", "obs", "ar1", "p1", "p2")}
    apis = {k: Api(server.url, t) for k, t in tokens.items()}
    try:
        booth = await apis["ar1"].ok(
            "POST", url, {"text": "I take over at :30", "to": "booth"}, 201
        )
        assert booth["to"] == "booth" and booth["language"] == "ar"  # their first target
        await apis["p1"].ok("POST", url, {"text": "hello room", "to": "room"}, 201)
        await apis["p2"].ok("POST", url, {"text": "no sound", "to": "moderators"}, 201)
        dm = await apis["p1"].ok("POST", url, {"text": "a word?", "to": w.id("mod")}, 201)
        assert dm["from"] == w.id("p1") and dm["from_name"] == "Nino Beridze"
        assert dm["from_role"] == "participant" and dm["to"] == w.id("mod")
        await apis["mod"].ok("POST", url, {"text": "sure", "to": w.id("p1")}, 201)
        # refused: DMs between participants, the booth for non-interpreters, observers
        r = await apis["p1"].call("POST", url, {"text": "hi", "to": w.id("p2")})
        assert r.status_code == 403
        assert (await apis["p1"].call("POST", url, {"text": "x", "to": "booth"})).status_code == 403
        assert (await apis["obs"].call("POST", url, {"text": "x", "to": "room"})).status_code == 403
        async with Api(server.url, server.admin_token) as admin:
            assert (await admin.call("POST", url, {"text": "x", "to": "room"})).status_code == 403
        other = await make_world(server, title="other")
        r = await apis["mod"].call("POST", url, {"text": "x", "to": other.id("p1")})
        assert r.status_code == 404
        await apis["mod"].ok("POST", url, {"text": "the end", "to": "room"}, 201)
    finally:
        for api in apis.values():
            await api.http.aclose()
    for c in ws.values():
        await c.until(lambda f: f.get("type") == "chat.message" and f["data"]["text"] == "the end")
    everyone = ["hello room", "the end"]
    assert _chats(ws["p1"]) == ["hello room", "a word?", "sure", "the end"]
    assert _chats(ws["p2"]) == ["hello room", "no sound", "the end"]  # the sender sees theirs
    assert _chats(ws["ar2"]) == ["I take over at :30", *everyone]  # the booth partner
    assert _chats(ws["ar1"]) == ["I take over at :30", *everyone]
    assert _chats(ws["mod"]) == ["hello room", "no sound", "a word?", "sure", "the end"]
    assert _chats(ws["obs"]) == ["hello room", "no sound", "the end"]
    # replay after resume: exactly what p1 may see, in order
    back = await ws_connect(server, sid, w.token("p1"), resume_from=resume_from)
    await back.until(lambda f: f.get("type") == "chat.message" and f["data"]["text"] == "the end")
    assert _chats(back) == _chats(ws["p1"])
    for c in (*ws.values(), back):
        await c.close()


async def test_plain_text_kept_as_written_controls_refused(server):
    w = await make_world(server)
    sid = w.session["id"]
    await (await join(server, w, "p3"))["p3"].close()
    url = f"/api/sessions/{sid}/messages"
    rtl = "  مرحبا\u200f بالجميع\r\nسطر\tثان\r"
    async with Api(server.url, w.token("p3")) as p3:
        sent = await p3.ok("POST", url, {"text": rtl, "to": "room"}, 201)
        assert sent["text"] == "  مرحبا\u200f بالجميع\nسطر\tثان\n"
        for bad in ("bell \x07", "nul \x00", "", "x" * 2001, "esc \x1b[31m"):
            r = await p3.call("POST", url, {"text": bad, "to": "room"})
            assert r.status_code == 422, (bad[:10], r.text)
        assert (await p3.ok("POST", url, {"text": "y" * 2000, "to": "room"}, 201))["text"]
        r = await p3.call("POST", url, {"text": "hi", "to": "room", "language": "de"})
        assert r.status_code == 422
        history = await p3.ok("GET", url)
        assert history[0]["text"] == sent["text"]


async def test_more_than_five_in_ten_seconds_is_429_and_not_stored(server):
    w = await make_world(server)
    sid = w.session["id"]
    await (await join(server, w, "p3"))["p3"].close()
    url = f"/api/sessions/{sid}/messages"
    async with Api(server.url, w.token("p3")) as p3:
        for i in range(5):
            await p3.ok("POST", url, {"text": f"m{i}", "to": "room"}, 201)
        r = await p3.call("POST", url, {"text": "one too many", "to": "room"})
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/problem+json"
        assert 1 <= r.json()["retry_after"] <= 10
        assert r.headers["retry-after"] == str(r.json()["retry_after"])
    texts = [d["text"] for _, t, d in log_rows(server, sid) if t == "chat.message"]
    assert texts == [f"m{i}" for i in range(5)]
    assert query(server, "SELECT count(*) FROM chat_messages WHERE session_id = {p}", sid) == [(5,)]


async def test_deleting_erases_the_text_everywhere_and_webhooks_get_chat_only_when_listed(server):
    listed, unlisted = await Receiver().start(), await Receiver().start()
    w = await make_world(server)
    sid = w.session["id"]
    url = f"/api/sessions/{sid}/messages"
    hooks = f"/api/events/{w.event['id']}/webhooks"
    async with Api(server.url, w.token("mod")) as mod, Api(server.url, w.token("p1")) as p1:
        await mod.ok(
            "POST",
            hooks,
            {"url": listed.url, "secret": "s3cret-for-tests", "events": ["chat.message"]},
            201,
        )
        await mod.ok("POST", hooks, {"url": unlisted.url, "secret": "s3cret-for-tests"}, 201)
        watcher = await ws_connect(server, sid, w.token("mod"))  # keeps the feed in memory
        await watcher.next()
        client = await ws_connect(server, sid, w.token("p1"))
        cursor = (await client.next())["seq"]
        msg = await p1.ok("POST", url, {"text": "my phone is +995 555", "to": "room"}, 201)
        await client.until(lambda f: f.get("type") == "chat.message")
        await client.close()
        await listed.wait_for(lambda h, b: b"chat.message" in b)
        assert (await mod.call("DELETE", f"{url}/{msg['id']}x")).status_code == 404
        mine = await mod.ok("POST", url, {"text": "from the chair", "to": "room"}, 201)
        assert (await p1.call("DELETE", f"{url}/{mine['id']}")).status_code == 403
        await p1.ok("DELETE", f"{url}/{msg['id']}", status=204)  # the author
        gone = await watcher.until(lambda f: f["type"] == "chat.deleted")
        assert gone["data"] == {"id": msg["id"]}
        # a replay after deletion (served from this process's memory) never shows it
        back = await ws_connect(server, sid, w.token("p1"), resume_from=cursor)
        await back.until(lambda f: f["type"] == "chat.deleted")
        frame = next(f for f in back.frames if f["type"] == "chat.message")
        assert frame["data"]["text"] == "" and frame["data"]["deleted"] is True
        await back.close()
        assert [m["id"] for m in await p1.ok("GET", url)] == [mine["id"]]
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "marker"}, 201)
        await unlisted.wait_for(lambda h, b: b"broadcast.message" in b)
    await watcher.close()
    secret = "+995 555"
    assert all(secret not in str(d) for _, _, d in log_rows(server, sid))
    bodies = query(server, "SELECT body FROM webhook_deliveries WHERE session_id = {p}", sid)
    assert bodies and all(secret not in b for (b,) in bodies)
    assert query(server, "SELECT text FROM chat_messages WHERE id = {p}", msg["id"]) == [("",)]
    assert not [b for _, b in unlisted.requests if orjson.loads(b)["type"].startswith("chat.")]
    assert all(orjson.loads(b)["type"] == "chat.message" for _, b in listed.requests)
    await listed.close(), await unlisted.close()


async def test_history_before_a_seq_past_any_column_is_all_of_it(any_server):
    """``before`` may be any number up to 2**53 (JavaScript's safe integers); past the
    seq column's range (PostgreSQL's 32-bit INTEGER) it bounds nothing, on either
    backend. PostgreSQL answered 500 "integer out of range"."""
    w = await make_world(any_server)
    sid = w.session["id"]
    for c in (await join(any_server, w, "p1")).values():
        await c.close()
    url = f"/api/sessions/{sid}/messages"
    async with Api(any_server.url, w.token("p1")) as p1:
        sent = await p1.ok("POST", url, {"text": "hello", "to": "room"}, 201)
        for before in (2**31 - 1, 2**31, 2**53):
            page = await p1.ok("GET", f"{url}?before={before}")
            assert [m["id"] for m in page] == [sent["id"]], before


async def test_history_is_paged_by_seq_and_holds_only_what_the_caller_may_see(server):
    w = await make_world(server)
    sid = w.session["id"]
    for c in (await join(server, w, "p1", "ar1")).values():
        await c.close()
    url = f"/api/sessions/{sid}/messages"
    async with Api(server.url, w.token("p1")) as p1, Api(server.url, w.token("ar1")) as ar1:
        sent = [await p1.ok("POST", url, {"text": f"q{i}", "to": "room"}, 201) for i in range(3)]
        await ar1.ok("POST", url, {"text": "booth only", "to": "booth"}, 201)
        page = await p1.ok("GET", f"{url}?limit=2")
        assert [m["text"] for m in page] == ["q1", "q2"]  # newest last
        older = await p1.ok("GET", f"{url}?limit=2&before={page[0]['seq']}")
        assert [m["seq"] for m in older] == [sent[0]["seq"]]
        assert [m["text"] for m in await ar1.ok("GET", url)] == ["q0", "q1", "q2", "booth only"]
        assert (await p1.call("GET", f"{url}?limit=201")).status_code == 422
        for odd in ("limit=true", "limit=٣", "before=²", "before=" + "1" * 5000):
            assert (await p1.call("GET", f"{url}?{odd}")).status_code == 422, odd
        assert "booth only" not in [m["text"] for m in await p1.ok("GET", url)]
