"""Every route x every role x own/other event: 401, 403, 404 exactly as the contract says.
Ids of another event, in the path or in the body, are 404 and change nothing."""

from __future__ import annotations

import pytest

from tests.support.client import Api, make_world, ws_connect
from tests.support.db import log_rows

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROLES = ("admin", "mod", "ar1", "p1", "obs")
EVERYONE = set(ROLES)
STAFF = {"admin", "mod"}

# (method, path template, body, roles allowed)
ROUTES = [
    ("GET", "/api/events/{e}", None, EVERYONE),
    ("PATCH", "/api/events/{e}", {"title": "Renamed"}, STAFF),
    ("POST", "/api/events/{e}/people", {"name": "New", "role": "participant"}, STAFF),
    ("GET", "/api/events/{e}/people", None, STAFF | {"obs"}),
    ("GET", "/api/events/{e}/people/{p}", None, STAFF | {"obs", "p1"}),
    ("PATCH", "/api/events/{e}/people/{p}", {"country": "Georgia"}, STAFF),
    ("POST", "/api/events/{e}/people/{p}/token", None, STAFF),
    ("POST", "/api/events/{e}/people/links", {"roles": ["participant"]}, STAFF),
    ("POST", "/api/events/{e}/people/import", [{"name": "Imported", "email": "i@x.org"}], STAFF),
    ("GET", "/api/events/{e}/attendance", None, STAFF | {"obs"}),
    ("GET", "/api/sessions/{s}/attendance", None, STAFF | {"obs"}),
    ("DELETE", "/api/events/{e}/people/{p}", None, STAFF),
    # a person manages their own calendar feed; staff who manage people anyone's
    ("POST", "/api/events/{e}/people/{p}/calendar-token", None, STAFF | {"p1"}),
    ("DELETE", "/api/events/{e}/people/{p}/calendar-token", None, STAFF | {"p1"}),
    (
        "POST",
        "/api/events/{e}/sessions",
        {"title": "s", "start": "2021-09-01T10:00", "end": "2021-09-01T11:00"},
        STAFF,
    ),
    ("GET", "/api/events/{e}/sessions", None, EVERYONE),
    ("GET", "/api/sessions/{s}", None, EVERYONE),
    ("PATCH", "/api/sessions/{s}", {"title": "t"}, STAFF),
    ("POST", "/api/sessions/{s}/status", {"status": "cancelled"}, STAFF),
    ("POST", "/api/sessions/{s}/broadcast", {"text": "hello"}, STAFF),
    ("GET", "/api/sessions/{s}/breakouts", None, EVERYONE),
    ("POST", "/api/sessions/{s}/breakouts", {"count": 2, "strategy": "balanced"}, STAFF),
    ("POST", "/api/sessions/{s}/moves", {"person_id": "{p}", "room_id": "{r}"}, STAFF | {"p1"}),
    ("POST", "/api/sessions/{s}/help", {"text": "no sound"}, {"p1", "ar1"}),
    ("GET", "/api/sessions/{s}/help", None, EVERYONE),
    # {h}: a request p1 asked; the asker cancels it, a moderator dismisses it
    ("DELETE", "/api/sessions/{s}/help/{h}", None, STAFF | {"p1"}),
    ("GET", "/api/sessions/{s}/channels", None, EVERYONE),
    ("GET", "/api/sessions/{s}/media", None, {"mod", "ar1", "p1"}),  # people placed in rooms
    ("PUT", "/api/sessions/{s}/listening", {"language": "en"}, EVERYONE - {"admin"}),
    ("PUT", "/api/sessions/{s}/floor", {"language": "ar"}, STAFF),
    ("POST", "/api/sessions/{s}/channels/ar/on-air", None, {"ar1"}),
    ("GET", "/api/sessions/{s}/interpretation/report", None, STAFF | {"obs"}),
    ("POST", "/api/sessions/{s}/hands", {}, {"mod", "ar1", "p1"}),
    ("GET", "/api/sessions/{s}/hands", None, EVERYONE),
    ("PUT", "/api/sessions/{s}/hands/order", {"hand_ids": []}, STAFF),
    (
        "POST",
        "/api/sessions/{s}/messages",
        {"text": "hi", "to": "moderators"},
        EVERYONE - {"admin", "obs"},
    ),
    ("GET", "/api/sessions/{s}/messages", None, EVERYONE),
    ("GET", "/api/events/{e}/schedule", None, EVERYONE),
    ("GET", "/api/events/{e}/calendar.ics", None, EVERYONE),
    ("GET", "/api/sessions/{s}/local-times", None, EVERYONE),
    (
        "GET",
        "/api/events/{e}/slots?duration=PT2H&from=2021-09-01T00:00:00Z&to=2021-09-02T00:00:00Z",
        None,
        STAFF,
    ),
]


@pytest.fixture(scope="module")
def worlds():
    return {}


async def _world(server, cache, key):
    if key not in cache:
        cache[key] = await make_world(server, title=key)
    return cache[key]


@pytest.mark.parametrize(
    "method,path,body,allowed", ROUTES, ids=[f"{m} {p}" for m, p, *_ in ROUTES]
)
@pytest.mark.parametrize("role", ROLES)
async def test_matrix(server, worlds, method, path, body, allowed, role):
    # each case that may change something works on its own world so that allowed
    # changes do not leak across cases; reads change nothing, so they share one
    if method == "GET":
        w = await _world(server, worlds, "reads")
    else:
        w = await make_world(server, status="live", title=f"{method}{path}{role}")
    other = await _world(server, worlds, "other")
    ids = {
        "e": w.event["id"],
        "s": w.session["id"],
        "p": w.id("p1"),
        "r": w.session["plenary_room_id"],
    }
    if "{h}" in path:
        async with Api(server.url, w.token("p1")) as asker:
            ids["h"] = (await asker.ok("POST", f"/api/sessions/{ids['s']}/help", {}, 201))["id"]
    url = path.format(**ids)
    if isinstance(body, dict):
        body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
    token = server.admin_token if role == "admin" else w.token(role)
    async with Api(server.url, token) as api:
        r = await api.call(method, url, body)
    if role in allowed:
        assert r.status_code in (200, 201, 204, 409), (r.status_code, r.text)  # 409: state
    else:
        assert r.status_code == 403, (r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    if role != "admin":
        # the same role of another event: never 403, never data
        async with Api(server.url, other.token(role)) as stranger:
            r = await stranger.call(method, url, body)
        assert r.status_code == 404, (r.status_code, r.text)
    async with Api(server.url, None) as anon:
        assert (await anon.call(method, url, body)).status_code == 401
    async with Api(server.url, "forged-token") as forged:
        assert (await forged.call(method, url, body)).status_code == 401


async def test_only_the_operator_creates_events(server):
    w = await make_world(server)
    for role in ("mod", "ar1", "p1", "obs"):
        async with Api(server.url, w.token(role)) as api:
            r = await api.call("POST", "/api/events", {"title": "x"})
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"
        assert "operator" in r.json()["detail"]


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["no token", "forged"])
async def test_creating_an_event_without_a_valid_token_is_401(server, token):
    for body in ({"title": "x"}, {}):  # 401 comes before the body is looked at
        async with Api(server.url, token) as api:
            r = await api.call("POST", "/api/events", body)
        assert r.status_code == 401, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert "token" in r.json()["detail"]


async def test_a_reissued_token_ends_the_old_one(server):
    w = await make_world(server)
    async with Api(server.url, w.token("mod")) as mod:
        fresh = await mod.ok("POST", f"/api/events/{w.event['id']}/people/{w.id('p1')}/token")
    assert fresh["id"] == w.id("p1") and fresh["token"] != w.token("p1")
    async with Api(server.url, w.token("p1")) as old:
        assert (await old.call("GET", f"/api/events/{w.event['id']}")).status_code == 401
    async with Api(server.url, fresh["token"]) as new:
        await new.ok("GET", f"/api/events/{w.event['id']}")


async def test_calendar_feed_is_reached_by_its_own_token_only(server):
    """GET /api/calendar/{token}.ics takes no header; any string that is not a live
    calendar token (bearer tokens included) is 404, never 401 or data."""
    w = await make_world(server)
    eid, pid = w.event["id"], w.id("p1")
    async with Api(server.url, w.token("p1")) as p1:
        issued = await p1.ok("POST", f"/api/events/{eid}/people/{pid}/calendar-token", status=201)
    async with Api(server.url, None) as anon:
        r = await anon.call("GET", f"/api/calendar/{issued['token']}.ics")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/calendar")
        assert "BEGIN:VCALENDAR" in r.text and "Kick-off plenary" in r.text
        for bad in ("not-a-token", w.token("p1"), server.admin_token, "x" * 300):
            r = await anon.call("GET", f"/api/calendar/{bad}.ics")
            assert r.status_code == 404, (bad[:12], r.status_code)
            assert r.headers["content-type"] == "application/problem+json"
            assert "BEGIN:VCALENDAR" not in r.text
    async with Api(server.url, w.token("mod")) as mod:
        again = await mod.ok("POST", f"/api/events/{eid}/people/{pid}/calendar-token", status=201)
        async with Api(server.url, None) as anon:
            # a new link revokes the old one
            assert (
                await anon.call("GET", f"/api/calendar/{issued['token']}.ics")
            ).status_code == 404
            assert (
                await anon.call("GET", f"/api/calendar/{again['token']}.ics")
            ).status_code == 200
            await mod.ok("DELETE", f"/api/events/{eid}/people/{pid}/calendar-token", status=204)
            assert (
                await anon.call("GET", f"/api/calendar/{again['token']}.ics")
            ).status_code == 404


async def test_ids_of_another_event_in_the_body_are_404(server):
    """Own session in the path, another event's person or room in the body: 404 (never
    403, never data), for the moderator and for the admin, and nothing changes."""
    w = await make_world(server, title="own")
    other = await make_world(server, title="other")
    sid = w.session["id"]
    mine = {"p1": w.id("p1"), "plenary": w.session["plenary_room_id"]}
    theirs = {
        "p1": other.id("p1"),
        "ar2": other.id("ar2"),
        "plenary": other.session["plenary_room_id"],
    }

    # the interpreters are in the plenary and one is live, so that a handover is a
    # valid request but for its `to`
    booth = [await ws_connect(server, sid, w.token(k)) for k in ("ar1", "ar2")]
    for c in booth:
        await c.next()
    async with Api(server.url, w.token("ar1")) as ar1:
        await ar1.ok("POST", f"/api/sessions/{sid}/channels/ar/on-air")
    async with Api(server.url, w.token("mod")) as mod:
        rnd = await mod.ok(
            "POST", f"/api/sessions/{sid}/breakouts", {"count": 2, "strategy": "manual"}, 201
        )
        room = rnd["rooms"][0]["id"]
    async with Api(server.url, other.token("p1")) as p:
        other_help = await p.ok("POST", f"/api/sessions/{other.session['id']}/help", {}, 201)
    before = {k: log_rows(server, x.session["id"]) for k, x in (("own", w), ("other", other))}

    moves = f"/api/sessions/{sid}/moves"
    plan = f"/api/sessions/{sid}/breakouts/{rnd['id']}"
    cases = [
        ("mod", "POST", moves, {"person_id": theirs["p1"], "room_id": mine["plenary"]}),
        ("mod", "POST", moves, {"person_id": mine["p1"], "room_id": theirs["plenary"]}),
        ("p1", "POST", moves, {"person_id": mine["p1"], "room_id": theirs["plenary"]}),
        ("p1", "POST", moves, {"person_id": theirs["p1"], "room_id": mine["plenary"]}),
        (
            "mod",
            "PUT",
            f"/api/sessions/{sid}/floor",
            {"language": "ar", "room_id": theirs["plenary"]},
        ),
        ("ar1", "POST", f"/api/sessions/{sid}/channels/ar/handover", {"to": theirs["ar2"]}),
        ("mod", "POST", f"{plan}/plan/move", {"person_id": theirs["p1"], "room_id": room}),
        (
            "mod",
            "POST",
            f"{plan}/plan/exchange",
            {"person_a": mine["p1"], "person_b": theirs["p1"]},
        ),
        ("mod", "PUT", f"{plan}/plan", {"assignments": {theirs["p1"]: room}}),
        ("mod", "DELETE", f"/api/sessions/{sid}/help/{other_help['id']}", None),
    ]
    for who in ("mod", "admin"):
        for actor, method, path, body in cases:
            if who == "admin" and actor != "mod":
                continue
            token = server.admin_token if who == "admin" else w.token(actor)
            async with Api(server.url, token) as api:
                r = await api.call(method, path, body)
            case = (who if who == "admin" else actor, method, path, body)
            assert r.status_code == 404, (case, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            # nothing of the other event leaks: no name, no event, no session id
            for leak in (other.people["p1"]["name"], other.event["id"], other.session["id"]):
                assert leak not in r.text, (case, r.text)
    after = {k: log_rows(server, x.session["id"]) for k, x in (("own", w), ("other", other))}
    assert after == before
    # the same requests with this event's own ids are accepted: the foreign id made the 404
    # (the handover first: Arabic on the floor sends the live Arabic interpreter to retour)
    controls = [
        ("ar1", "POST", f"/api/sessions/{sid}/channels/ar/handover", {"to": w.id("ar2")}),
        ("mod", "POST", moves, {"person_id": mine["p1"], "room_id": mine["plenary"]}),
        (
            "mod",
            "PUT",
            f"/api/sessions/{sid}/floor",
            {"language": "ar", "room_id": mine["plenary"]},
        ),
        ("mod", "POST", f"{plan}/plan/move", {"person_id": mine["p1"], "room_id": room}),
        ("mod", "PUT", f"{plan}/plan", {"assignments": {mine["p1"]: room}}),
    ]
    for actor, method, path, body in controls:
        async with Api(server.url, w.token(actor)) as api:
            r = await api.call(method, path, body)
        assert r.status_code in (200, 201), (actor, method, path, r.status_code, r.text)
    for c in booth:
        await c.close()
