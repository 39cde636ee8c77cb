"""The console's client module (JavaScript) keeps the same state as a fresh snapshot:
its snapshot plus the events it received, replayed through its own reducer under
Node, equals a new snapshot taken after the actions (the Python verify-action test,
for the reference client integrators copy)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from tests.support import reducer
from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROLES = ("mod", "obs", "p1", "p2", "ar1")
REPLAY = Path(__file__).resolve().parents[1] / "js" / "replay.mjs"


async def js_state(snapshot: dict, frames: list[dict]) -> dict:
    node = await asyncio.create_subprocess_exec(
        shutil.which("node"),
        str(REPLAY),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await node.communicate(json.dumps({"snapshot": snapshot, "frames": frames}).encode())
    assert node.returncode == 0, err.decode()
    return json.loads(out)


def hands(state: dict) -> list[tuple]:
    return sorted((h["room_id"], h["position"], h["id"], h["language"]) for h in state["hands"])


async def queue_and_chat(server, w, sid: str, mod: Api, p2: Api) -> None:
    """Hands raised, re-raised in another language, reordered, called and lowered, and
    a chat message: the queue the client keeps must be the snapshot's ``hands``."""
    async with Api(server.url, w.token("p1")) as p1:
        first = await p1.ok("POST", f"/api/sessions/{sid}/hands", {"language": "ar"}, 201)
        second = await p2.ok("POST", f"/api/sessions/{sid}/hands", {}, 201)
        await p1.ok("POST", f"/api/sessions/{sid}/hands", {"language": "en"}, 200)
        queue = await mod.ok("GET", f"/api/sessions/{sid}/hands")
        order = [h["id"] for h in reversed(queue)]
        await mod.ok("PUT", f"/api/sessions/{sid}/hands/order", {"hand_ids": order})
        await mod.ok("POST", f"/api/sessions/{sid}/hands/{second['id']}/call")
        await p1.ok("DELETE", f"/api/sessions/{sid}/hands/{first['id']}", None, 204)
        await p1.ok("POST", f"/api/sessions/{sid}/hands", {"language": "ar"}, 201)
        await p2.ok("POST", f"/api/sessions/{sid}/hands", {"language": "ar"}, 201)
        await p1.ok("POST", f"/api/sessions/{sid}/hands", {"language": "en"}, 200)
        queue = await mod.ok("GET", f"/api/sessions/{sid}/hands")
        order = [h["id"] for h in reversed(queue)]
        await mod.ok("PUT", f"/api/sessions/{sid}/hands/order", {"hand_ids": order})
        await p1.ok("POST", f"/api/sessions/{sid}/messages", {"text": "hello", "to": "room"}, 201)


@pytest.mark.parametrize("backend", ["server", "pg_server"])
async def test_client_module_state_equals_a_fresh_snapshot(backend, request):
    if shutil.which("node") is None:
        pytest.skip("Node is not installed; the client module runs under Node here")
    server = request.getfixturevalue(backend)  # SQLite, PostgreSQL
    w = await make_world(server, status="lobby")
    sid = w.session["id"]
    socks = {k: await ws_connect(server, sid, w.token(k)) for k in ROLES}
    snaps = {k: await ws.next() for k, ws in socks.items()}
    async with (
        Api(server.url, w.token("mod")) as mod,
        Api(server.url, w.token("p2")) as p2,
        Api(server.url, w.token("ar1")) as ar1,
    ):
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "live"})
        await ar1.ok("POST", f"/api/sessions/{sid}/channels/ar/on-air")
        await p2.ok("PUT", f"/api/sessions/{sid}/listening", {"language": "ar"})
        await p2.ok("POST", f"/api/sessions/{sid}/help", {}, 201)
        rnd = await mod.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {"count": 2, "strategy": "balanced", "duration_s": 600},
            201,
        )
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "10 minutes"}, 201)
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/extend", {"seconds": 60})
        await mod.ok("PUT", f"/api/sessions/{sid}/floor", {"language": "ar"})
        person = f"/api/events/{w.event['id']}/people/{w.id('ar2')}"
        await mod.ok("PATCH", person, {"interprets": ["ar>en"]})  # Omar leaves a booth
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/close")
        await queue_and_chat(server, w, sid, mod, p2)
        fresh = {}
        for key in ROLES:
            probe = await ws_connect(server, sid, w.token(key))
            fresh[key] = await probe.next()
            await probe.close()
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "marker"}, 201)
    for key, ws in socks.items():
        await ws.until(lambda f: f.get("data", {}).get("text") == "marker", timeout=15)
        upto = fresh[key]["seq"]
        frames = [f for f in ws.frames if f.get("seq", 0) <= upto and f["type"] != "pong"]
        mine = await js_state(snaps[key], frames)
        assert reducer.project(mine) == reducer.project(fresh[key]["data"]), key
        assert hands(mine) == hands(fresh[key]["data"]), key
        await ws.close()
