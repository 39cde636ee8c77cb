"""Numbers in query strings: anything but a plain number of ASCII digits is "no
number" (``resume_from``: a snapshot) or a 422, never a crashed handler (``str.isdigit``
accepts ``²`` and ``①``, which ``int`` refuses; ``int`` refuses over 4,300 digits)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

ODD_NUMBERS = ["²", "①", "٣", "1" * 5000, "-1", "+3", " 2", "1e3", "0x10", ""]


async def test_odd_resume_from_gets_a_snapshot(server):
    w = await make_world(server)
    sid = w.session["id"]
    got = {}
    for raw in ODD_NUMBERS:
        c = await ws_connect(server, sid, w.token("p1"), resume_from=quote(raw))
        first = await c.next()
        await c.send({"type": "ping"})
        await c.until(lambda f: f["type"] == "pong")  # the handler is still alive
        await c.close()
        got[raw[:8]] = first["type"]
    assert got == {raw[:8]: "snapshot" for raw in ODD_NUMBERS}
    resumed = await ws_connect(server, sid, w.token("p1"), resume_from=1)
    assert (await resumed.next())["type"] != "snapshot"  # a plain number still resumes
    await resumed.close()


async def test_odd_numbers_in_rest_queries_are_422(server):
    w = await make_world(server)
    async with Api(server.url, w.token("mod")) as mod:
        for raw in ["²", "①", "1" * 5000]:
            r = await mod.call(
                "GET",
                f"/api/events/{w.event['id']}/slots",
                params={
                    "duration": "PT1H",
                    "from": "2021-09-01T08:00:00Z",
                    "to": "2021-09-02T08:00:00Z",
                    "limit": raw,
                },
            )
            assert r.status_code == 422, (raw[:8], r.status_code, r.text[:200])
            assert r.headers["content-type"] == "application/problem+json"
