"""A token that ends (re-issued, or its person removed) while sockets are still
opening with it: every one of them closes 4401 and none receives what comes after.

Twenty-five sockets of one person open at once and the token ends as soon as the
first is accepted, so some authenticate before the end and read their snapshot
after it (the race: they used to stay open and keep receiving live events)."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

SOCKETS = 25


async def _fate(c, timeout: float = 10.0) -> tuple[int | str, list[str]]:
    """The close code (or "open" if the server kept it open) and the frame types."""
    try:
        while True:
            await c.next(timeout)
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd else 1006
    except TimeoutError:
        code = "open"
        await c.close()
    return code, [f["type"] for f in c.frames]


async def _open_while_ending(server, sid: str, token: str, end_token) -> list:
    """Open SOCKETS sockets at once; ``end_token()`` runs once the first is accepted."""
    first = asyncio.Event()

    async def open_one():
        c = await ws_connect(server, sid, token)
        first.set()
        return c

    opening = [asyncio.create_task(open_one()) for _ in range(SOCKETS)]
    await asyncio.wait_for(first.wait(), 30)
    await end_token()
    return await asyncio.gather(*opening)


@pytest.mark.parametrize("how", ["reissue", "remove"])
async def test_no_socket_outlives_its_token(any_server, how):
    server = any_server
    w = await make_world(server)
    sid, eid, pid, old = w.session["id"], w.event["id"], w.id("p3"), w.token("p3")
    async with Api(server.url, w.token("mod")) as mod:

        async def end_token():
            if how == "reissue":
                await mod.ok("POST", f"/api/events/{eid}/people/{pid}/token")
            else:
                await mod.ok("DELETE", f"/api/events/{eid}/people/{pid}", status=204)

        clients = await _open_while_ending(server, sid, old, end_token)
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "after the end"}, 201)
        watcher = await ws_connect(server, sid, w.token("p1"))  # the broadcast went out
        await watcher.next()
        async with Api(server.url, old) as stale:
            assert (await stale.call("GET", f"/api/events/{eid}")).status_code == 401
    fates = await asyncio.gather(*(_fate(c) for c in clients))
    codes = [code for code, _ in fates]
    assert codes == [4401] * SOCKETS
    assert not [types for _, types in fates if "broadcast.message" in types]
    await watcher.close()
