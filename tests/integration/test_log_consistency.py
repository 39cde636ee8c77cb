"""The event log on both backends: gapless, duplicate-free, every event valid."""

from __future__ import annotations

import asyncio

import pytest

from server.events import coerce
from tests.support.client import Api, make_world, ws_connect
from tests.support.db import log_rows

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_parallel_commands_leave_a_gapless_log(any_server):
    server = any_server
    w = await make_world(server, status="lobby")
    sid = w.session["id"]
    watcher = await ws_connect(server, sid, w.token("mod"))
    snap = await watcher.next()
    async with Api(server.url, w.token("mod")) as mod:
        calls = [
            mod.call("POST", f"/api/sessions/{sid}/broadcast", {"text": f"m{i}"}) for i in range(50)
        ]
        calls.insert(25, mod.call("POST", f"/api/sessions/{sid}/status", {"status": "live"}))
        calls.insert(10, mod.call("POST", f"/api/sessions/{sid}/status", {"status": "live"}))
        results = await asyncio.gather(*calls)
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 50 and codes.count(200) == 1 and codes.count(409) == 1
    rows = log_rows(server, sid)
    seqs = [s for s, _, _ in rows]
    assert seqs == list(range(1, len(seqs) + 1))
    # the moderator's socket saw all of them, once, in order
    await watcher.until(lambda f: f.get("seq") == seqs[-1], timeout=10)
    got = [f["seq"] for f in watcher.frames if "seq" in f and f["type"] != "snapshot"]
    assert got == list(range(snap["seq"] + 1, seqs[-1] + 1))
    await watcher.close()


async def test_every_stored_event_matches_its_schema(any_server):
    server = any_server
    w = await make_world(server, status="lobby")
    sid = w.session["id"]
    c = await ws_connect(server, sid, w.token("p1"))
    await c.next()
    async with Api(server.url, w.token("mod")) as mod:
        await mod.ok(
            "POST",
            f"/api/sessions/{sid}/broadcast",
            {"text": "hi", "translations": {"ar": "مرحبا"}},
            201,
        )
        await mod.ok("PATCH", f"/api/sessions/{sid}", {"start": "2021-08-31T14:30"})
        await mod.ok("PATCH", f"/api/events/{w.event['id']}", {"interpretation_languages": ["ar"]})
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "live"})
    await c.close()
    async with Api(server.url, w.token("mod")) as mod:
        await mod.ok("DELETE", f"/api/events/{w.event['id']}/people/{w.id('p1')}", status=204)
    rows = log_rows(server, sid)
    types = {t for _, t, _ in rows}
    assert {
        "room.moved",
        "presence.joined",
        "presence.left",
        "broadcast.message",
        "session.rescheduled",
        "event.updated",
        "session.status",
        "person.removed",
    } <= types
    for _, t, data in rows:
        coerce(t, data)
