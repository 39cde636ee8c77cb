"""The large-room threshold is the ``large_room`` setting wherever it applies: arrivals
in a room above it reach its members as a coalesced ``presence.changed``, and a round
opening leaves out the members of its rooms above it (their counts still travel)."""

from __future__ import annotations

import asyncio

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


async def test_a_crowd_arriving_at_once_is_told_in_bounded_frames_with_its_counts(small_rooms):
    """Everyone in a large room hears each coalesced ``presence.changed``: listing every
    arrival of a storm to every member would cost members x arrivals ids a second (a
    5,000-person plenary: 195 MB a second). The lists hold at most ``large_room`` ids;
    ``joined_count`` and ``left_count`` say how many there were."""
    server = small_rooms
    w = await make_world(server)
    sid, eid = w.session["id"], w.event["id"]
    async with Api(server.url, server.admin_token) as admin:
        crowd = [
            await admin.ok(
                "POST", f"/api/events/{eid}/people", {"name": f"G{i}", "role": "participant"}, 201
            )
            for i in range(9)
        ]
    member = await ws_connect(server, sid, w.token("p1"))
    await member.next()
    conns = await asyncio.gather(*(ws_connect(server, sid, p["token"]) for p in crowd))
    await asyncio.gather(*(c.next() for c in conns))
    ids = {p["id"] for p in crowd}

    def changed(f):
        return f["type"] == "presence.changed"

    await member.until(lambda f: changed(f) and f["data"]["online"] == 1 + len(crowd), 20)
    told = [f["data"] for f in member.frames if changed(f)]
    one_by_one = {f["data"]["person_id"] for f in member.frames if f["type"] == "presence.joined"}
    assert all(len(d["joined"]) <= 2 and len(d["left"]) <= 2 for d in told), told
    assert all(set(d["joined"]) <= ids for d in told)
    assert all(d["joined_count"] >= len(d["joined"]) and d["left_count"] == 0 for d in told)
    # every arrival is counted once: heard one by one or in a count
    assert len(one_by_one) + sum(d["joined_count"] for d in told) == len(crowd)
    assert any(d["joined_count"] > len(d["joined"]) for d in told)  # a storm was cut short

    await asyncio.gather(*(c.close() for c in conns))
    await member.until(lambda f: changed(f) and f["data"]["online"] == 1, 20)
    gone = [f["data"] for f in member.frames if changed(f) and f["data"]["left_count"]]
    assert sum(d["left_count"] for d in gone) == len(crowd)
    assert all(len(d["left"]) <= 2 for d in gone)
    await member.close()
