"""Who am I, and join links: any token learns its person, event and sessions; every
token handed out comes with a link whose token sits in the URL fragment."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.client import Api, make_world

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _public_url(session: dict) -> str:
    """The service's public URL, as its sessions' ``ws_url`` show it."""
    return session["ws_url"].replace("ws", "http", 1).split("/ws/sessions/")[0]


async def test_me_tells_each_token_who_it_is(server):
    w = await make_world(server)
    async with Api(server.url, w.token("p1")) as p1:
        me = await p1.ok("GET", "/api/me")
    assert me["role"] == "participant"
    assert me["person"]["id"] == w.id("p1") and me["person"]["name"] == "Nino Beridze"
    assert "token" not in me["person"]
    assert me["event"]["id"] == w.event["id"]
    assert [s["id"] for s in me["sessions"]] == [w.session["id"]]
    async with Api(server.url, w.token("obs")) as obs:
        assert (await obs.ok("GET", "/api/me"))["role"] == "observer"
    async with Api(server.url, server.admin_token) as admin:
        assert await admin.ok("GET", "/api/me") == {
            "person": None,
            "role": "admin",
            "event": None,
            "sessions": [],
        }
        cal = await admin.ok(
            "POST",
            f"/api/events/{w.event['id']}/people/{w.id('p1')}/calendar-token",
            status=201,
        )
    for token in (None, "forged", cal["token"]):  # a calendar token is not a bearer token
        async with Api(server.url, token) as who:
            r = await who.call("GET", "/api/me")
        assert r.status_code == 401, (token, r.text)
        assert r.headers["content-type"] == "application/problem+json"


async def test_join_links_hold_the_token_in_the_fragment(server):
    w = await make_world(server)
    eid = w.event["id"]
    base = _public_url(w.session)
    created = w.people["p1"]
    assert created["join_url"] == f"{base}/join#token={created['token']}"
    parts = urlsplit(created["join_url"])
    assert parts.query == "" and created["token"] not in parts.path  # never sent to a server
    async with Api(server.url, server.admin_token) as admin:
        again = await admin.ok("POST", f"/api/events/{eid}/people/{w.id('p1')}/token")
    assert again["join_url"] == f"{base}/join#token={again['token']}"
    # what a browser does with the link: the token from the fragment is who they are
    token = urlsplit(again["join_url"]).fragment.removeprefix("token=")
    async with Api(server.url, token) as p1:
        assert (await p1.ok("GET", "/api/me"))["person"]["id"] == w.id("p1")
