"""Every route x every role x own/other event: 401, 403, 404 exactly as the contract says."""

from __future__ import annotations

import pytest

from tests.support.client import Api, make_world

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
    ("POST", "/api/sessions/{s}/help", {"text": "no sound"}, {"p1"}),
    ("GET", "/api/sessions/{s}/help", None, EVERYONE),
    ("GET", "/api/sessions/{s}/channels", None, EVERYONE),
    ("PUT", "/api/sessions/{s}/listening", {"language": "en"}, EVERYONE - {"admin"}),
    ("PUT", "/api/sessions/{s}/floor", {"language": "ar"}, STAFF),
    ("POST", "/api/sessions/{s}/channels/ar/on-air", None, {"ar1"}),
    ("GET", "/api/sessions/{s}/interpretation/report", None, STAFF | {"obs"}),
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
    # each case works on its own world so that allowed changes do not leak across cases
    w = await make_world(server, status="live", title=f"{method}{path}{role}")
    other = await _world(server, worlds, "other")
    ids = {
        "e": w.event["id"],
        "s": w.session["id"],
        "p": w.id("p1"),
        "r": w.session["plenary_room_id"],
    }
    url = path.format(**ids)
    if body is not None:
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
