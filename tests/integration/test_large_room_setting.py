"""The large-room threshold is the ``large_room`` setting wherever it applies: arrivals
in a room above it reach its members as a coalesced ``presence.changed``, and a round
opening leaves out the members of its rooms above it (their counts still travel)."""

from __future__ import annotations

import pytest

from tests.support.client import Api, make_world, ws_connect
from tests.support.db import log_rows
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def small_rooms(tmp_path_factory):
    d = tmp_path_factory.mktemp("large-room-2")
    env = {"CONVENE_DATABASE_URL": f"sqlite:///{d}/convene.db", "CONVENE_LARGE_ROOM": "2"}
    with ServerProcess(d, env) as srv:
        yield srv


async def test_rooms_above_the_setting_are_large_rooms(small_rooms):
    server = small_rooms
    w = await make_world(server)
    sid = w.session["id"]
    member = await ws_connect(server, sid, w.token("p1"))
    await member.next()
    others = []
    for key in ("p2", "p3", "ar1", "ar2"):
        c = await ws_connect(server, sid, w.token(key))
        await c.next()
        others.append(c)
    changed = await member.until(lambda f: f["type"] == "presence.changed", 10)
    assert changed["data"]["online"] >= 3
    joined = [f for f in member.frames if f["type"] == "presence.joined"]
    assert len(joined) < 4  # not each arrival once the plenary is over two people

    async with Api(server.url, w.token("mod")) as mod:
        rnd = await mod.ok(
            "POST", f"/api/sessions/{sid}/breakouts", {"count": 1, "strategy": "balanced"}, 201
        )
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    (opened,) = [d for _, t, d in log_rows(server, sid) if t == "breakout.opened"]
    (room,) = [r["id"] for r in opened["rooms"]]
    assert opened["counts"][room] == 3  # the three participants
    assert room not in opened["members"]
    for c in (member, *others):
        await c.close()
