"""verify_action over breakouts, help and interpretation: the state a client builds
from its snapshot and the events it received equals a fresh snapshot, per role."""

from __future__ import annotations

import pytest

from tests.support import reducer, verify
from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROLES = ("mod", "obs", "p1", "p2", "ar1")


async def test_breakouts_and_channels_reduce_to_the_fresh_snapshot(server):
    w = await make_world(server, status="live")
    sid = w.session["id"]
    views = {}
    for key in ROLES + ("p3", "ar2"):
        c = await ws_connect(server, sid, w.token(key))
        views[key] = reducer.View(c, await c.next())
    mod = Api(server.url, w.token("mod"))
    base = f"/api/sessions/{sid}"
    rnd = await mod.ok(
        "POST",
        f"{base}/breakouts",
        {
            "rooms": [
                {"name": "Digital divide", "languages": ["ar"]},
                {"name": "City Lab collaborations"},
            ],
            "strategy": "by_language",
            "countdown_s": 0,
        },
        201,
    )
    ar_room = rnd["rooms"][0]["id"]
    help_ids = []

    def as_(key):
        return Api(server.url, w.token(key))

    async def ask_help():
        async with as_("p2") as p2:
            help_ids.append((await p2.ok("POST", f"{base}/help", {"text": "x"}, 201))["id"])

    async def on_air():
        async with as_("ar1") as ar1:
            await ar1.ok("POST", f"{base}/channels/ar/on-air")

    async def listen_ar():
        async with as_("p1") as p1:
            await p1.ok("PUT", f"{base}/listening", {"language": "ar"})

    async def close_round():
        await mod.ok("POST", f"{base}/breakouts/{rnd['id']}/close")
        await views["mod"].ws.until(lambda f: f["type"] == "breakout.closed", timeout=5)

    actions = [
        lambda: mod.ok("POST", f"{base}/breakouts/{rnd['id']}/open"),
        lambda: mod.ok("POST", f"{base}/moves", {"person_id": w.id("p3"), "room_id": ar_room}),
        lambda: mod.ok("POST", f"{base}/breakouts/{rnd['id']}/extend", {"seconds": 600}),
        listen_ar,
        on_air,
        lambda: mod.ok("PUT", f"{base}/floor", {"language": "ar", "room_id": ar_room}),
        ask_help,
        close_round,  # the open request follows its asker to the plenary (help.moved)
        lambda: mod.ok("DELETE", f"{base}/help/{help_ids[-1]}", status=204),
    ]
    try:
        await verify.after_each(server, w, mod, views, ROLES, actions, reducer.project)
    finally:
        await mod.http.aclose()
        for view in views.values():
            await view.ws.close()
