"""The handshake's order (issue 19): someone who already has a room gets their snapshot
without waiting for their arrival to be stored; the arrival reaches them as an event."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_returning_person_hears_of_their_own_arrival_after_their_snapshot(server):
    w = await make_world(server)
    sid, pid, plenary = w.session["id"], w.id("p1"), w.session["plenary_room_id"]
    mod = await ws_connect(server, sid, w.token("mod"))
    await mod.next()
    first = await ws_connect(server, sid, w.token("p1"))
    assert (await first.next())["data"]["you"]["room_id"] == plenary  # a newcomer: placed
    await first.close()
    await mod.until(lambda f: f["type"] == "presence.left" and f["data"]["person_id"] == pid)
    back = await ws_connect(server, sid, w.token("p1"))
    snap = await back.next()
    assert snap["type"] == "snapshot" and snap["data"]["you"]["room_id"] == plenary
    joined = await back.until(
        lambda f: f["type"] == "presence.joined" and f["data"]["person_id"] == pid
    )
    assert joined["seq"] > snap["seq"] and joined["data"]["room_id"] == plenary
    seen = await mod.until(
        lambda f: f["type"] == "presence.joined" and f["data"]["person_id"] == pid
    )
    assert seen["seq"] == joined["seq"]
    await back.close()
    await mod.close()


async def test_arrivals_together_are_each_online_once_and_gone_after(any_server):
    """Sockets opening at once are stored as one batch (issue 19: their leases in one
    executemany) on either backend: everyone shows online, then offline."""
    server = any_server
    w = await make_world(server)
    sid, eid = w.session["id"], w.event["id"]
    mod = await ws_connect(server, sid, w.token("mod"))
    await mod.next()
    keys = ["p1", "p2", "p3", "ar1", "ar2"]
    socks = await asyncio.gather(*(ws_connect(server, sid, w.token(k)) for k in keys))
    snaps = await asyncio.gather(*(s.next() for s in socks))
    assert {s["data"]["you"]["person_id"] for s in snaps} == {w.id(k) for k in keys}
    ids = {w.id(k) for k in keys}
    joined: set[str] = set()
    while joined != ids:
        f = await mod.until(lambda f: f["type"] == "presence.joined")
        joined.add(f["data"]["person_id"])
    async with Api(server.url, w.token("mod")) as api:
        people = await api.ok("GET", f"/api/events/{eid}/people")
        assert {p["id"] for p in people if p["online"]} >= ids
        for s in socks:
            await s.close()
        gone: set[str] = set()
        while gone != ids:
            f = await mod.until(lambda f: f["type"] == "presence.left")
            gone.add(f["data"]["person_id"])
        people = await api.ok("GET", f"/api/events/{eid}/people")
        assert not {p["id"] for p in people if p["online"]} & ids
    await mod.close()
