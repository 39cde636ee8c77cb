"""The handshake's order (issue 19): someone who already has a room gets their snapshot
without waiting for their arrival to be stored; the arrival reaches them as an event."""

from __future__ import annotations

import pytest

from tests.support.client import make_world, ws_connect

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
