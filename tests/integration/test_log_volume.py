"""A WebSocket is one log line at INFO (uvicorn's "[accepted]" request line), not
three: uvicorn's "connection open" and "connection closed" name neither the socket nor
its peer, and at 5,000 arrivals they were 10,000 lines of the connect storm's CPU."""

from __future__ import annotations

import pytest

from tests.support.client import make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_websocket_is_one_info_line(server):
    w = await make_world(server)
    sid = w.session["id"]
    first = await ws_connect(server, sid, w.token("p1"))
    await first.next()
    await first.close()
    second = await ws_connect(server, sid, w.token("p2"))
    await second.next()  # the first socket's close has been handled by now
    await second.close()
    log = server.log()
    assert log.count(f"WebSocket /ws/sessions/{sid}") == 2
    assert "connection open" not in log
    assert "connection closed" not in log
