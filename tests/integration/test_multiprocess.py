"""Several `convene serve` processes on one PostgreSQL and one Redis: same seqs
everywhere, kill -9 and resume elsewhere, Redis restarted mid-stream, presence of a
killed process, one timer leader with takeover."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import Api, eventually, make_world, ws_connect
from tests.support.db import log_rows, query
from tests.support.redis_process import RedisProcess
from tests.support.server import process_pair

from .speakers_two_processes import queue_and_chat_are_one_across

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.services]


async def _broadcasts(server, token, sid, texts):
    async with Api(server.url, token) as api:
        for t in texts:
            await api.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": t}, 201)


def _texts(ws):
    return [f["data"]["text"] for f in ws.frames if f.get("type") == "broadcast.message"]


async def test_clients_on_both_processes_see_the_same_seqs(tmp_path, fresh_pg, redis_url):
    a, b = process_pair(tmp_path, fresh_pg, redis_url, f"mp-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a)
        sid = w.session["id"]
        on_a = await ws_connect(a, sid, w.token("mod"))
        on_b = await ws_connect(b, sid, w.token("obs"))
        await on_a.next()
        await on_b.next()
        for i in range(10):
            await _broadcasts(a if i % 2 else b, w.token("mod"), sid, [f"m{i}"])
        for c in (on_a, on_b):
            await c.until(lambda f: f.get("data", {}).get("text") == "m9", timeout=10)
        seqs = [
            [f["seq"] for f in c.frames if f["type"] == "broadcast.message"] for c in (on_a, on_b)
        ]
        assert seqs[0] == seqs[1] and seqs[0] == sorted(seqs[0])
        assert _texts(on_a) == [f"m{i}" for i in range(10)] == _texts(on_b)
        await on_a.close()
        await on_b.close()
        await queue_and_chat_are_one_across(a, b)  # issue 17, on the same pair


async def test_kill_9_mid_stream_and_resume_on_the_other(tmp_path, fresh_pg, redis_url):
    a, b = process_pair(
        tmp_path,
        fresh_pg,
        redis_url,
        f"mp-{uuid.uuid4().hex[:8]}",
        CONVENE_PRESENCE_TTL_S="3",
        CONVENE_PRESENCE_RENEW_S="1",
    )
    with a, b:
        w = await make_world(a)
        sid = w.session["id"]
        watcher = await ws_connect(a, sid, w.token("mod"))
        await watcher.next()
        client = await ws_connect(b, sid, w.token("p1"))
        await client.next()
        gone = await ws_connect(b, sid, w.token("p2"))  # never comes back
        await gone.next()
        texts = [f"n{i}" for i in range(40)]
        sender = asyncio.create_task(_broadcasts(a, w.token("mod"), sid, texts))
        await client.until(lambda f: f.get("data", {}).get("text") == "n10", timeout=10)
        b.kill()
        with pytest.raises(ConnectionClosed):  # the kernel closes the dead process's socket
            while True:
                await client.next(timeout=5)
        last = max(f["seq"] for f in client.frames if "seq" in f)
        again = await ws_connect(a, sid, w.token("p1"), resume_from=last)
        await again.until(lambda f: f.get("data", {}).get("text") == "n39", timeout=20)
        await sender
        got = _texts(client) + _texts(again)
        assert got == texts  # no gap, no duplicate
        assert all(f["type"] != "snapshot" for f in again.frames)
        # whoever was only on the killed process goes offline once its lease lapses;
        # p1, back on the other process, stays online
        left = await watcher.until(
            lambda f: f["type"] == "presence.left" and f["data"]["person_id"] == w.id("p2"),
            timeout=30,
        )
        assert left["by"] is None
        gone_for = [f["data"]["person_id"] for f in watcher.frames if f["type"] == "presence.left"]
        assert w.id("p1") not in gone_for
        await again.close()
        await watcher.close()


@pytest.fixture
def private_redis():
    r = RedisProcess()
    yield r
    r.kill()


async def _health_becomes(server, status: str, timeout: float = 10.0) -> dict:
    async with httpx.AsyncClient() as c:

        async def probe():
            return (await c.get(f"{server.url}/healthz")).json()

        return await eventually(probe, lambda b: b["status"] == status, timeout)


async def test_redis_restarted_mid_stream_loses_nothing(tmp_path, fresh_pg, private_redis):
    url = private_redis.url
    a, b = process_pair(tmp_path, fresh_pg, url, "restart")
    with a, b:
        w = await make_world(a)
        sid = w.session["id"]
        client = await ws_connect(b, sid, w.token("p1"))
        await client.next()
        await _broadcasts(a, w.token("mod"), sid, [f"r{i}" for i in range(5)])
        await client.until(lambda f: f.get("data", {}).get("text") == "r4", timeout=10)
        private_redis.kill()
        # each process serves on and finds the other's events by polling the log
        await _broadcasts(a, w.token("mod"), sid, [f"r{i}" for i in range(5, 10)])
        await client.until(lambda f: f.get("data", {}).get("text") == "r9", timeout=10)
        assert (await _health_becomes(b, "degraded"))["broker"] == "degraded"
        private_redis.start()
        assert (await _health_becomes(b, "ok", timeout=20))["broker"] == "ok"
        await _broadcasts(a, w.token("mod"), sid, [f"r{i}" for i in range(10, 15)])
        await client.until(lambda f: f.get("data", {}).get("text") == "r14", timeout=15)
        assert _texts(client) == [f"r{i}" for i in range(15)]
        await client.close()


def _leader_since(server) -> tuple[str | None, int, dt.datetime | None]:
    holder, term, since = query(
        server, "SELECT holder, term, since FROM leader_terms WHERE name = 'timers'"
    )[0]
    if isinstance(since, str):
        since = dt.datetime.fromisoformat(since)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return holder, term, since


async def _next_lock_try(server, instance: str) -> dt.datetime:
    """When the standby ``instance`` next tries the timer lock (the start of its next
    query on its lock connection, as PostgreSQL reports it)."""
    sql = "SELECT query_start FROM pg_stat_activity WHERE application_name = {p}"

    async def probe():
        rows = query(server, sql, f"convene-timers {instance}")
        return rows[0][0] if rows else None

    seen = await probe()
    assert seen is not None, "the standby holds no lock connection"
    tried = await eventually(probe, lambda t: t is not None and t > seen, timeout=5, every=0.02)
    assert tried > seen, "the standby did not try the lock again within 5 s"
    return tried


def _at(frame: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(frame["at"].replace("Z", "+00:00"))


async def test_one_timer_leader_and_takeover_after_kill_9(tmp_path, fresh_pg, redis_url):
    """One process fires the timers, once. After a kill -9 of it the other takes over
    within 10 s; a timer due ~1 s after the kill (missed while nobody leads) fires on
    it within 10 s of its instant, with its lateness, and a timer due after the
    takeover fires on time (the contract's 2 s); each fires exactly once."""
    a, b = process_pair(tmp_path, fresh_pg, redis_url, f"mp-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a, status=None)
        eid = w.event["id"]
        start_at = dt.datetime.now(dt.UTC)

        async def session(server, lobby_at: dt.datetime) -> str:
            start = lobby_at + dt.timedelta(seconds=900)  # the lobby opens 900 s before
            async with Api(server.url, server.admin_token) as admin:
                s = await admin.ok(
                    "POST",
                    f"/api/events/{eid}/sessions",
                    {
                        "title": "t",
                        "start": start.isoformat(),
                        "end": (start + dt.timedelta(hours=1)).isoformat(),
                        "reminders_s": [],
                    },
                    201,
                )
            return s["id"]

        first = await session(a, start_at + dt.timedelta(seconds=3))
        # after the takeover: that comes ~3 s after ``first`` fires (at most one 2 s
        # standby try, then the gap timer's second, then the next try), about +6 s
        after_due = start_at + dt.timedelta(seconds=12)
        after = await session(a, after_due)
        m = await ws_connect(a, first, w.token("mod"))
        await m.next()
        await m.until(lambda f: f["type"] == "session.status", timeout=10)
        await m.close()
        assert [t for _, t, _ in log_rows(a, first)].count("session.status") == 1
        old_holder, old_term, _ = _leader_since(a)
        leader, other = (a, b) if old_holder == "a" else (b, a)
        assert old_holder in ("a", "b")

        # The standby tries the lock every 2 s. Kill the leader just after one of its
        # tries, with a timer due a second later: it falls due while nobody leads.
        name = "b" if other is b else "a"
        tried = await _next_lock_try(other, name)
        gap_due = tried + dt.timedelta(seconds=1)
        gap = await session(other, gap_due)
        killed_at = dt.datetime.now(dt.UTC)
        leader.kill()
        assert killed_at < gap_due - dt.timedelta(seconds=0.2), "setting up took too long"

        c = await ws_connect(other, gap, w.token("mod"), resume_from=0)
        frame = await c.until(lambda f: f["type"] == "session.status", timeout=15)
        await c.close()
        holder, term, since = _leader_since(other)
        assert holder == name and term == old_term + 1
        assert since - killed_at < dt.timedelta(seconds=10)  # the takeover
        assert since > gap_due  # nobody led when it fell due
        fired = _at(frame)
        assert frame["data"]["status"] == "lobby"
        assert fired - gap_due < dt.timedelta(seconds=10)  # the bound
        assert since <= fired < since + dt.timedelta(seconds=2)  # fired on the takeover
        late = (fired - gap_due).total_seconds()
        assert late - 0.5 < frame["data"]["late_s"] <= late + 0.01  # lateness recorded

        c = await ws_connect(other, after, w.token("mod"), resume_from=0)
        frame = await c.until(lambda f: f["type"] == "session.status", timeout=25)
        await c.close()
        fired = _at(frame)
        assert after_due <= fired < after_due + dt.timedelta(seconds=2)
        for sid in (gap, after):
            assert [t for _, t, _ in log_rows(other, sid)].count("session.status") == 1


async def test_webhooks_from_two_processes_are_sent_once_each(tmp_path, fresh_pg, redis_url):
    """Both processes run a delivery worker; SKIP LOCKED claims mean no double send,
    and a delivery retried after failures keeps its id and bytes."""
    import hashlib
    import hmac

    import orjson

    from tests.support.receiver import Receiver, register_webhook

    rx = await Receiver(fail=2).start()
    a, b = process_pair(tmp_path, fresh_pg, redis_url, f"mp-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a)
        sid = w.session["id"]
        async with Api(a.url, w.token("mod")) as mod:
            hook = await register_webhook(
                mod, w.event["id"], rx.url, "k-two-procs", ["broadcast.message"]
            )
        for i in range(10):
            await _broadcasts(a if i % 2 else b, w.token("mod"), sid, [f"w{i}"])
        await rx.wait_for(lambda h, body: len(rx.requests) >= 12, timeout=20)
        ids = [h["x-convene-delivery"] for h, _ in rx.requests]
        assert len(ids) == 12 and len(set(ids)) == 10  # two retries, no double send
        for h, body in rx.requests:
            want = "sha256=" + hmac.new(b"k-two-procs", body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(h["x-convene-signature"], want)
            assert orjson.loads(body)["id"] == h["x-convene-delivery"]
        texts = {orjson.loads(body)["data"]["text"] for _, body in rx.requests}
        assert texts == {f"w{i}" for i in range(10)}
        by_id: dict[str, set[bytes]] = {}
        for h, body in rx.requests:
            by_id.setdefault(h["x-convene-delivery"], set()).add(body)
        assert all(len(bodies) == 1 for bodies in by_id.values())
        # once every delivery is recorded as delivered, nothing more was sent
        path = f"/api/events/{w.event['id']}/webhooks/{hook['id']}/deliveries"
        async with Api(b.url, w.token("mod")) as mod:
            rows = await eventually(  # rows are written just after the receiver answers
                lambda: mod.ok("GET", path),
                lambda ds: [d["state"] for d in ds] == ["delivered"] * 10,
            )
        assert [d["state"] for d in rows] == ["delivered"] * 10
        assert len(rx.requests) == 12
    await rx.close()
