"""Numbers from clients (query strings, bodies): anything but a plain number of ASCII
digits is "no number" (``resume_from``: a snapshot) or a 422, never a crashed handler
(``str.isdigit`` accepts ``²`` and ``①``, which ``int`` refuses; ``int`` refuses over
4,300 digits) and never another script's digits read quietly."""

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


async def test_numbers_in_rest_inputs_are_ascii_digits_or_422(server):
    """Typed query numbers, durations and wall times: other scripts' digits, ``²`` and
    thousands of digits are a 422 problem, not a 500 and not a quietly read number."""
    w = await make_world(server)
    eid = w.event["id"]
    window = {"from": "2021-09-01T08:00:00Z", "to": "2021-09-02T08:00:00Z"}
    slots = [
        {"duration": "PT1H", "limit": "²"},
        {"duration": "PT1H", "limit": "①"},
        {"duration": "PT1H", "limit": "1" * 5000},
        {"duration": "PT²H"},
        {"duration": "PT٢H"},
        {"duration": "PT1H", "step": "PT٣٠M"},
    ]
    starts = ["01.09.2021 ١٠:00", "01.09.2021 1²:00", "٢٠٢١-٠٩-٠١T10:00", "1" * 5000]
    async with Api(server.url, w.token("mod")) as mod:
        got = []
        for params in slots:
            r = await mod.call("GET", f"/api/events/{eid}/slots", params={**params, **window})
            got.append((params, r.status_code, r.headers["content-type"]))
        for start in starts:
            body = {"title": "Odd", "start": start, "end": "2021-09-01T12:00"}
            r = await mod.call("POST", f"/api/events/{eid}/sessions", body)
            got.append((start[:20], r.status_code, r.headers["content-type"]))
    assert [(what, 422, "application/problem+json") for what, *_ in got] == got
