"""No input makes a 500: random JSON bodies and path values against every write route."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.client import PEOPLE

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "title",
    "timezone",
    "start",
    "end",
    "language",
    "languages",
    "rooms",
    "count",
    "strategy",
    "duration_s",
    "person_id",
    "room_id",
    "to",
    "text",
    "translations",
    "status",
    "interprets",
    "role",
    "name",
    "seconds",
    "assignments",
    "url",
    "secret",
]
bodies = json_values | st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)

ROUTES = [
    ("POST", "/api/events"),
    ("PATCH", "/api/events/{e}"),
    ("POST", "/api/events/{e}/people"),
    ("POST", "/api/events/{e}/sessions"),
    ("PATCH", "/api/sessions/{s}"),
    ("POST", "/api/sessions/{s}/status"),
    ("POST", "/api/sessions/{s}/broadcast"),
    ("POST", "/api/sessions/{s}/breakouts"),
    ("POST", "/api/sessions/{s}/moves"),
    ("POST", "/api/sessions/{s}/help"),
    ("PUT", "/api/sessions/{s}/floor"),
    ("PUT", "/api/sessions/{s}/listening"),
    ("POST", "/api/sessions/{s}/channels/ar/handover"),
    ("POST", "/api/events/{e}/webhooks"),
]


@pytest.fixture(scope="module")
def world(server):
    with httpx.Client(
        base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {server.admin_token}"}
    ) as admin:
        event = admin.post("/api/events", json={"title": "Fuzz"}).json()
        session = admin.post(
            f"/api/events/{event['id']}/sessions",
            json={"title": "s", "start": "2021-08-31T14:00", "end": "2021-08-31T16:00"},
        ).json()
        admin.post(f"/api/sessions/{session['id']}/status", json={"status": "live"})
        mod = admin.post(f"/api/events/{event['id']}/people", json=PEOPLE["mod"]).json()
    return {"e": event["id"], "s": session["id"], "token": mod["token"]}


@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_random_bodies_never_500(server, world, method, path):
    url = path.format(**world)
    client = httpx.Client(
        base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {world['token']}"}
    )

    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(body=bodies)
    def check(body):
        r = client.request(method, url, json=body)
        assert r.status_code < 500, (body, r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["detail"]

    try:
        check()
    finally:
        client.close()


@settings(max_examples=60, deadline=None, database=None)
@given(
    segment=st.text(min_size=1, max_size=30).filter(
        lambda t: "/" not in t and "?" not in t and "#" not in t
    )
)
def test_random_path_ids_never_500(server, world, segment):
    with httpx.Client(
        base_url=server.url, timeout=20, headers={"Authorization": f"Bearer {world['token']}"}
    ) as client:
        for path in (
            "/api/events/{x}",
            "/api/sessions/{x}",
            "/api/sessions/{s}/breakouts/{x}",
            "/api/sessions/{s}/channels/{x}/on-air",
            "/api/events/{x}/schedule",
        ):
            r = client.request(
                "POST" if "on-air" in path else "GET",
                path.format(x=quote(segment, safe=""), **world),
            )
            assert r.status_code < 500, (path, segment, r.text)
