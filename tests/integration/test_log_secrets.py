"""No token or secret in any log line, and every line valid JSON in json mode: a real
server, tokens sent in every form a client can send them, webhook URLs with user:pw."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys

import orjson
import pytest
from websockets.asyncio.client import connect

from tests.support.client import WS, Api, eventually, make_world, ws_connect
from tests.support.receiver import Receiver, register_webhook
from tests.support.server import free_port


async def _ws(srv, sid: str, query: str) -> WS:
    """A WebSocket with the query string exactly as given (keys percent-encoded)."""
    url = f"{srv.ws_url}/ws/sessions/{sid}?{query}"
    return WS(await connect(url, open_timeout=10, ping_interval=None, close_timeout=3))


async def _ws_lines(srv, sid: str, n: int) -> None:
    """Until uvicorn has logged ``n`` WebSocket request lines for session ``sid``."""
    while srv.log().count(f"WebSocket /ws/sessions/{sid}") < n:
        await asyncio.sleep(0.05)


@pytest.mark.asyncio(loop_scope="session")
async def test_no_secret_reaches_the_log_and_every_line_is_json(server):
    """On the shared service: every line it has logged so far must be JSON too."""
    srv = server
    rx = await Receiver().start()
    w = await make_world(srv)
    eid, sid = w.event["id"], w.session["id"]
    bad = secrets.token_urlsafe(24)
    hook_pw = "hookpw-" + secrets.token_urlsafe(12)
    hook_url = rx.url.replace("http://", f"http://hookuser:{hook_pw}@")
    async with Api(srv.url, w.token("mod")) as mod:
        feed = await mod.ok(
            "POST", f"/api/events/{eid}/people/{w.id('p3')}/calendar-token", status=201
        )
        hook = await register_webhook(mod, eid, hook_url, "s3cret-for-tests", ["broadcast.message"])
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "hello"}, 201)
        await eventually(
            lambda: mod.ok("GET", f"/api/events/{eid}/webhooks/{hook['id']}/deliveries"),
            lambda ds: ds and ds[0]["state"] == "delivered",
        )
    assert rx.requests  # the user:pw URL really was used
    await rx.close()

    # WebSockets: ?token= (last and not last), ?tok%65n= (the same parameter,
    # accepted), the header, and a bad token in the query
    opened = [
        await ws_connect(srv, sid, w.token("p1")),
        await _ws(srv, sid, f"resume_from=0&tok%65n={w.token('p2')}"),
        await _ws(srv, sid, f"%74oken={w.token('ar1')}&resume_from=0"),
        await ws_connect(srv, sid, w.token("ar2"), header=True),
    ]
    for c in opened:
        assert "type" in await c.next()  # accepted: a 4401 close would raise here
        await c.close()
    refused = await _ws(srv, sid, f"tok%65n={bad}")
    assert await refused.closed_with() == 4401

    async with Api(srv.url, None) as anon:
        assert (await anon.call("GET", f"/api/calendar/{feed['token']}.ics")).status_code == 200
        assert (await anon.call("GET", f"/api/calendar/{bad}.ics")).status_code == 404
        r = await anon.call("GET", f"/api/events/{eid}?tok%65n={w.token('p3')}")
        assert r.status_code == 401  # the query is no way to authenticate REST
    async with Api(srv.url, srv.admin_token) as admin:
        await admin.ok("GET", f"/api/events/{eid}")
    await asyncio.wait_for(_ws_lines(srv, sid, 5), 10)

    text = srv.log()
    not_json = []
    for line in text.splitlines():
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            not_json.append(line)
    assert not not_json, "\n".join(not_json[:5])
    leaked = {
        "admin": srv.admin_token,
        "bad": bad,
        "feed": feed["token"],
        "hook password": hook_pw,
        **{k: w.token(k) for k in w.people},
    }
    found = {name for name, s in leaked.items() if s in text}
    assert not found, f"{found} in the log:\n{text[-3000:]}"


def test_a_bad_setting_is_one_json_log_line_without_its_value(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    secret = secrets.token_urlsafe(16)
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env={**env, "CONVENE_WEBHOOK_MAX_ATTEMPTS": f"x{secret}"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    (line,) = out.stderr.splitlines()
    assert orjson.loads(line)["level"] == "error"
    assert "CONVENE_WEBHOOK_MAX_ATTEMPTS" in line and secret not in line
