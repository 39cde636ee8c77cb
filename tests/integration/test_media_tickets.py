"""GET /api/sessions/{id}/media: a person's AudioBridge joins follow their room,
channel and booth, with tokens the bridge can derive itself (HMAC of the shared
secret), and asking stores nothing."""

from __future__ import annotations

import pytest

from server.media import tickets
from tests.support.client import Api, make_world, ws_connect
from tests.support.db import log_rows

pytestmark = pytest.mark.asyncio(loop_scope="session")
SECRET = "test-media-secret"  # tests/conftest.py gives the servers this one


async def test_tickets_follow_channel_and_booth(any_server):
    server = any_server
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    async with Api(server.url, w.token("p2")) as p2:
        r = await p2.call("GET", f"/api/sessions/{sid}/media")
        assert r.status_code == 409 and "WebSocket" in r.json()["detail"]  # in no room yet
    socks = [await ws_connect(server, sid, w.token(k)) for k in ("p2", "ar1", "p3")]
    for c in socks:
        await c.next()
    async with Api(server.url, w.token("ar1")) as ar1:
        await ar1.ok("POST", f"/api/sessions/{sid}/channels/ar/on-air")
    async with Api(server.url, w.token("p2")) as p2:
        before = log_rows(server, sid)
        ticket = await p2.ok("GET", f"/api/sessions/{sid}/media")
        assert log_rows(server, sid) == before  # a read: no event, no seq
    # Rami's language is Arabic: he hears the Arabic booth's channel, and speaks on the floor
    assert ticket["room_id"] == plenary and ticket["language"] == "ar"
    assert ticket["listen"]["room"] == f"{plenary}/ar"
    assert [j["room"] for j in ticket["speak"]] == [f"{plenary}/floor"]
    assert ticket["janus_url"].endswith("/janus")
    gen = ticket["generation"]
    for j in (ticket["listen"], *ticket["speak"]):
        assert j["token"] == tickets.join_token(SECRET, w.id("p2"), j["room"], gen)
        assert j["id"] == tickets.participant_id(SECRET, w.id("p2"), j["room"], gen)
    async with Api(server.url, w.token("ar1")) as ar1:
        booth = await ar1.ok("GET", f"/api/sessions/{sid}/media")
    # the live Arabic interpreter hears the floor and speaks into both of their booths
    assert booth["listen"]["room"] == f"{plenary}/floor"
    assert {j["room"] for j in booth["speak"]} == {f"{plenary}/ar", f"{plenary}/en"}
    async with Api(server.url, w.token("p3")) as p3:
        en = await p3.ok("GET", f"/api/sessions/{sid}/media")
    assert en["listen"]["room"] == f"{plenary}/floor" and en["language"] == "en"
    assert en["listen"]["token"] != ticket["listen"]["token"]
    for c in socks:
        await c.close()
