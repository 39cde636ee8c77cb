"""A session's window of recent events is bounded in bytes on a real server
(``CONVENE_FEED_RECENT_BYTES``), and a client resuming from before the window still
gets every event, read from the log; on SQLite and on PostgreSQL with Redis."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.support.client import Api, make_world, ws_connect
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

BOUND = 20_000  # bytes; each broadcast below weighs about 6 kB
LANGUAGES = ["ar", "ru"]  # the event's languages besides English


@pytest.fixture(params=["sqlite", "postgresql"])
def small_window_server(request, tmp_path):
    env = {"CONVENE_FEED_RECENT_BYTES": str(BOUND)}
    if request.param == "sqlite":
        env["CONVENE_DATABASE_URL"] = f"sqlite:///{tmp_path}/convene.db"
    else:
        env["CONVENE_DATABASE_URL"] = request.getfixturevalue("fresh_pg")
        env["CONVENE_REDIS_URL"] = request.getfixturevalue("redis_url")
        env["CONVENE_REDIS_PREFIX"] = (
            f"{request.getfixturevalue('redis_prefix')}-{uuid.uuid4().hex[:6]}"
        )
    with ServerProcess(tmp_path, env) as srv:
        yield srv


def _broadcast(i: int) -> dict:
    return {
        "text": f"b{i} " + "x" * 1990,
        "translations": {lang: f"b{i} {lang} " + "y" * 1980 for lang in LANGUAGES},
    }


async def _recent_bytes(api: Api) -> int:
    text = (await api.call("GET", "/metrics")).text
    return int(float(re.search(r"^convene_feed_recent_bytes (\S+)$", text, re.M)[1]))


async def test_a_resume_from_before_the_byte_window_gets_every_event(small_window_server):
    server = small_window_server
    w = await make_world(server)
    sid = w.session["id"]
    live = await ws_connect(server, sid, w.token("mod"))  # keeps the session's feed open
    snapshot = await live.next()
    before = snapshot["seq"]
    async with Api(server.url, w.token("mod")) as mod:
        for i in range(12):
            await mod.ok("POST", f"/api/sessions/{sid}/broadcast", _broadcast(i), 201)
        await live.until(lambda f: f.get("data", {}).get("text", "").startswith("b11 "), 10)
        kept = await _recent_bytes(mod)
        assert 0 < kept <= BOUND  # 12 x 6 kB went through; at most 20 kB stayed

    late = await ws_connect(server, sid, w.token("mod"), resume_from=before)
    await late.until(lambda f: f.get("data", {}).get("text", "").startswith("b11 "), 10)
    assert all(f["type"] != "snapshot" for f in late.frames)

    def texts(ws):
        return [f["data"]["text"] for f in ws.frames if f.get("type") == "broadcast.message"]

    assert texts(late) == texts(live) == [_broadcast(i)["text"] for i in range(12)]
    seqs = [f["seq"] for f in late.frames]
    assert seqs == sorted(set(seqs)) and seqs[0] == before + 1
    await live.close()
    await late.close()
