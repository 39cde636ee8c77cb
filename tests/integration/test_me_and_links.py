"""Who am I, and join links: any token learns its person, event and sessions; every
token handed out comes with a link whose token sits in the URL fragment."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest

from tests.support.client import Api, make_world, ws_connect

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


async def test_links_for_a_mail_merge_end_the_old_ones_at_once(server):
    w = await make_world(server, status="live")
    eid = w.event["id"]
    async with Api(server.url, server.admin_token) as admin:
        tricky = await admin.ok(
            "POST",
            f"/api/events/{eid}/people",
            {"name": '=HYPERLINK("http://x.example","click")', "role": "participant"},
            201,
        )
    ws = await ws_connect(server, w.session["id"], w.token("p1"))
    await ws.next()  # the snapshot: p1 is connected with the old link
    async with Api(server.url, w.token("mod")) as mod:
        r = await mod.http.post(
            f"/api/events/{eid}/people/links",
            json={"roles": ["participant"]},
            headers={"Accept": "text/csv"},
        )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with a BOM
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(rows[0]) == ["person_id", "name", "email", "role", "token", "join_url"]
    assert {row["person_id"] for row in rows} == {
        w.id("p1"),
        w.id("p2"),
        w.id("p3"),
        tricky["id"],
    }
    names = {row["person_id"]: row["name"] for row in rows}
    assert names[tricky["id"]] == "'" + tricky["name"]  # shown as text, never run
    p1 = next(row for row in rows if row["person_id"] == w.id("p1"))
    assert p1["email"] == "nino@example.org"
    assert p1["join_url"].endswith(f"/join#token={p1['token']}")
    assert await ws.closed_with() == 4401  # the old link's socket ends at once
    async with Api(server.url, w.token("p1")) as old:
        assert (await old.call("GET", "/api/me")).status_code == 401
    async with Api(server.url, p1["token"]) as new:
        assert (await new.ok("GET", "/api/me"))["person"]["id"] == w.id("p1")
    async with Api(server.url, w.token("mod")) as mod:  # other tokens did not change
        assert (await mod.ok("GET", "/api/me"))["role"] == "moderator"


async def test_links_choose_people_by_id_or_role(server):
    w = await make_world(server, status=None)
    other = await make_world(server, status=None, title="Other")
    url = f"/api/events/{w.event['id']}/people/links"
    async with Api(server.url, w.token("mod")) as mod:
        # the caller's own link only when their id is listed; observers only when named
        links = await mod.ok("POST", url, {"roles": ["moderator", "interpreter"]})
        assert {x["person_id"] for x in links} == {w.id("ar1"), w.id("ar2")}
        links = await mod.ok("POST", url, {"roles": ["observer"], "person_ids": [w.id("p3")]})
        assert {x["person_id"] for x in links} == {w.id("obs"), w.id("p3")}
        for body, status in [
            ({}, 422),
            ({"roles": ["speaker"]}, 422),
            ({"person_ids": [other.id("p1")]}, 404),
            ({"person_ids": ["no-such-person"]}, 404),
        ]:
            r = await mod.call("POST", url, body)
            assert r.status_code == status, (body, r.text)
        mine = await mod.ok("POST", url, {"person_ids": [w.id("mod")]})
    assert [x["person_id"] for x in mine] == [w.id("mod")]
    async with Api(server.url, mine[0]["token"]) as mod:
        assert (await mod.ok("GET", "/api/me"))["person"]["id"] == w.id("mod")
    for key in ("p1", "p2"):  # tokens the calls above did not re-issue
        async with Api(server.url, w.token(key)) as who:
            assert (await who.call("POST", url, {"roles": ["participant"]})).status_code == 403
    async with Api(server.url, other.token("mod")) as stranger:
        assert (await stranger.call("POST", url, {"roles": ["participant"]})).status_code == 404
