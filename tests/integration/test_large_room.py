"""A plenary of more than 100 people: its members hear of arrivals and departures as
coalesced ``presence.changed`` events (at most one a second), moderators of each one."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

CROWD = 101


def _at(frame: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(frame["at"].replace("Z", "+00:00"))


async def test_a_crowded_plenary_hears_of_arrivals_once_a_second(server):
    w = await make_world(server)
    sid, eid = w.session["id"], w.event["id"]
    plenary = w.session["plenary_room_id"]
    async with Api(server.url, server.admin_token) as admin:
        crowd = await asyncio.gather(
            *(
                admin.ok(
                    "POST",
                    f"/api/events/{eid}/people",
                    {"name": f"Guest {i}", "role": "participant"},
                    201,
                )
                for i in range(CROWD)
            )
        )
    mod = await ws_connect(server, sid, w.token("mod"))
    member = await ws_connect(server, sid, w.token("p3"))
    await mod.next()
    await member.next()

    async def arrive(person):
        c = await ws_connect(server, sid, person["token"])
        await c.next()
        return c

    conns = await asyncio.gather(*(arrive(p) for p in crowd))
    ids = {p["id"] for p in crowd}
    everyone_online = 2 + CROWD  # the moderator, p3 and the crowd

    def changed(f):
        return f["type"] == "presence.changed" and f["data"]["room_id"] == plenary

    await member.until(lambda f: changed(f) and f["data"]["online"] == everyone_online, 20)
    # moderators hear of each arrival
    joined_for_mod = set()
    while not ids <= joined_for_mod:
        f = await mod.next(10)
        if f["type"] == "presence.joined":
            joined_for_mod.add(f["data"]["person_id"])
    # the room heard of the first arrivals one by one, of the rest coalesced
    one_by_one = {f["data"]["person_id"] for f in member.frames if f["type"] == "presence.joined"}
    coalesced = [f for f in member.frames if changed(f)]
    assert len(one_by_one) < CROWD
    assert set().union(*(f["data"]["joined"] for f in coalesced)) | one_by_one >= ids
    assert all(f["seq"] for f in coalesced)  # stored events, resumable
    gaps = [(_at(b) - _at(a)).total_seconds() for a, b in itertools.pairwise(coalesced)]
    assert all(g >= 0.99 for g in gaps), gaps

    # thirty leave: still more than 100 placed in the room, so still coalesced
    leaving = conns[:30]
    await asyncio.gather(*(c.close() for c in leaving))
    gone = {crowd[i]["id"] for i in range(30)}
    await member.until(lambda f: changed(f) and f["data"]["online"] == everyone_online - 30, 20)
    left = set().union(*(f["data"]["left"] for f in member.frames if changed(f)))
    assert left == gone
    assert not [f for f in member.frames if f["type"] == "presence.left"]

    # the room heard counts, yet attendance has each person's seconds (from the
    # arrivals and departures stored for the moderators)
    left_at = {}
    while set(left_at) != gone:
        f = await mod.next(10)
        if f["type"] == "presence.left":
            left_at[f["data"]["person_id"]] = _at(f)
    joined_at = {
        f["data"]["person_id"]: _at(f) for f in mod.frames if f["type"] == "presence.joined"
    }
    async with Api(server.url, w.token("mod")) as moderator:
        report = await moderator.ok("GET", f"/api/sessions/{sid}/attendance")
    seconds = {p["person_id"]: p["online_s"] for p in report}
    assert ids <= set(seconds)
    for pid in gone:
        assert abs(seconds[pid] - (left_at[pid] - joined_at[pid]).total_seconds()) <= 1.0
    for c in (*conns[30:], mod, member):
        await c.close()
