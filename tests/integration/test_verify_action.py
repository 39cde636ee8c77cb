"""State before + the events a client received == a fresh snapshot after, per role."""

from __future__ import annotations

import pytest

from tests.support import reducer, verify
from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROLES = ("mod", "obs", "p1", "ar1")


async def test_snapshot_plus_events_equals_fresh_snapshot(server):
    w = await make_world(server, status="lobby")
    sid = w.session["id"]
    views = {}
    for key in ROLES:
        c = await ws_connect(server, sid, w.token(key))
        views[key] = reducer.View(c, await c.next())
    mod = Api(server.url, w.token("mod"))
    extra: list = []

    async def join_p2():
        c = await ws_connect(server, sid, w.token("p2"))
        await c.next()
        extra.append(c)

    async def leave_p2():
        await extra.pop().close()

    actions = [
        join_p2,
        lambda: mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "live"}),
        lambda: mod.ok("PATCH", f"/api/sessions/{sid}", {"end": "2021-08-31T16:30"}),
        lambda: mod.ok(
            "PATCH",
            f"/api/events/{w.event['id']}",
            {"interpretation_languages": ["ar", "ru", "de"]},
        ),
        leave_p2,
        lambda: mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "5 minutes"}, 201),
    ]
    try:
        await verify.after_each(server, w, mod, views, ROLES, actions, reducer.state)
    finally:
        await mod.http.aclose()
        for view in views.values():
            await view.ws.close()
        for c in extra:
            await c.close()
