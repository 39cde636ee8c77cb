"""The console's routes over HTTP: served by ``convene serve`` itself, with the
security headers that keep the join token and the page to themselves."""

from __future__ import annotations

import httpx
import pytest

from tests.support.client import make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(
    "path, kind",
    [
        ("/", "text/html"),
        ("/join", "text/html"),
        ("/console/app.js", "javascript"),
        ("/console/client.js", "javascript"),
        ("/console/i18n/ar.json", "json"),
        ("/console/console.css", "text/css"),
    ],
)
async def test_console_routes_carry_the_security_headers(server, path, kind):
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.get(path)
    assert r.status_code == 200, path
    assert kind in r.headers["content-type"]
    csp = [d.strip() for d in r.headers["content-security-policy"].split(";")]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert not any("unsafe-inline" in d or "unsafe-eval" in d for d in csp)
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_landing_page_says_what_convene_is_and_how_to_join(server):
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = (await http.get("/")).text
        schema = (await http.get("/openapi.json")).json()
    assert "personal link" in page and "/join#token=" in page
    assert "/" not in schema["paths"] and "/join" not in schema["paths"]


async def test_the_console_origin_may_open_websockets_when_origins_are_restricted(server):
    """``server`` allows only https://app.convene.example; its own pages must still
    connect (a browser sends the page's origin), and other sites still may not."""
    w = await make_world(server)
    own = await ws_connect(server, w.session["id"], w.token("p1"), origin=server.url)
    assert (await own.next())["type"] == "snapshot"
    await own.close()
    evil = await ws_connect(server, w.session["id"], w.token("p1"), origin="http://evil.example")
    assert await evil.closed_with() == 4403
