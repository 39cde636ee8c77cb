"""REST: shapes, validation, problem details, the status machine."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.support.client import Api, make_world
from tests.support.db import log_rows, query

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_event_defaults_and_people_views(server):
    w = await make_world(server)
    assert w.event["timezone"] == "Europe/Berlin"
    assert w.event["floor_language"] == "en"
    assert w.event["interpretation_languages"] == ["ar", "ru"]
    created = w.people["p1"]
    assert created["token"] and created["role"] == "participant"
    assert created["timezone"] == "Asia/Tbilisi" and created["language"] == "ru"
    async with Api(server.url, w.token("mod")) as mod:
        people = await mod.ok("GET", f"/api/events/{w.event['id']}/people")
    assert isinstance(people, list) and len(people) == 7
    assert all("token" not in p and "room_id" in p and "online" in p for p in people)
    ar1 = next(p for p in people if p["name"] == "Amal Haddad")
    assert ar1["interprets"] == ["en>ar", "ar>en"] and ar1["room_id"] is None


async def test_session_times_are_utc_with_z_and_keep_their_zone(server):
    w = await make_world(server)
    assert w.session["start"] == "2021-08-31T12:00:00Z"
    assert w.session["end"] == "2021-08-31T14:00:00Z"
    assert w.session["timezone"] == "Europe/Berlin"
    async with Api(server.url, w.token("mod")) as mod:
        sessions = await mod.ok("GET", f"/api/events/{w.event['id']}/sessions")
        assert [s["id"] for s in sessions] == [w.session["id"]]
        cet = await mod.ok(
            "POST",
            f"/api/events/{w.event['id']}/sessions",
            {"title": "Green recovery", "start": "2020-11-17T13:00", "end": "2020-11-17T15:00"},
            201,
        )
        assert cet["start"] == "2020-11-17T12:00:00Z"


@pytest.mark.parametrize(
    "start,end,candidates,end_utc",
    [
        (
            "2022-03-27T02:30",
            "2022-03-27T12:00",
            ["2022-03-27T00:30:00Z", "2022-03-27T01:30:00Z"],
            "2022-03-27T10:00:00Z",
        ),
        (
            "2022-10-30T02:30",
            "2022-10-30T12:00",
            ["2022-10-30T00:30:00Z", "2022-10-30T01:30:00Z"],
            "2022-10-30T11:00:00Z",
        ),
    ],
)
async def test_gap_and_repeated_wall_times_are_refused_with_candidates(
    server, start, end, candidates, end_utc
):
    w = await make_world(server)
    async with Api(server.url, w.token("mod")) as mod:
        r = await mod.call(
            "POST",
            f"/api/events/{w.event['id']}/sessions",
            {"title": "x", "start": start, "end": end},
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["candidates"] == candidates
        assert all(c in body["detail"] for c in candidates)
        assert len(await mod.ok("GET", f"/api/events/{w.event['id']}/sessions")) == 1
        # the same wall time with an explicit offset names one instant: accepted as such
        made = await mod.ok(
            "POST",
            f"/api/events/{w.event['id']}/sessions",
            {"title": "x", "start": start + "+02:00", "end": end},
            201,
        )
        assert (made["start"], made["end"]) == (candidates[0], end_utc)
        assert made["timezone"] == "Europe/Berlin"
        sessions = await mod.ok("GET", f"/api/events/{w.event['id']}/sessions")
        assert len(sessions) == 2 and made in sessions


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"title": "x", "timezone": ""}, "timezone"),
        ({"title": "x", "timezone": "../x"}, "../x"),
        ({"title": "x", "timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"title": "x", "floor_language": "english"}, "english"),
        ({"title": "x", "interpretation_languages": ["ar", "ar"]}, "twice"),
        ({"title": "x", "colour": "red"}, "colour"),
        ({"title": ""}, "title"),
    ],
)
async def test_bad_event_input_is_422_naming_it_and_creates_nothing(server, body, needle):
    async with Api(server.url, server.admin_token) as admin:
        r = await admin.call("POST", "/api/events", body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["status"] == 422 and needle in problem["detail"]
    assert set(problem) >= {"type", "title", "status", "detail"}


async def test_bad_person_input(server):
    w = await make_world(server)
    async with Api(server.url, w.token("mod")) as mod:
        path = f"/api/events/{w.event['id']}/people"
        for body, needle in [
            ({"name": "A", "role": "wizard"}, "role"),
            ({"name": "A", "role": "interpreter", "interprets": ["en-ar"]}, "en-ar"),
            ({"name": "A", "role": "participant", "interprets": ["en>ar"]}, "interpreter"),
            ({"name": "A", "role": "participant", "timezone": "Europe/Nowhere"}, "Nowhere"),
        ]:
            r = await mod.call("POST", path, body)
            assert r.status_code == 422 and needle in r.json()["detail"], r.text
        assert len(await mod.ok("GET", path)) == 7


async def test_session_validation(server):
    w = await make_world(server)
    path = f"/api/events/{w.event['id']}/sessions"
    async with Api(server.url, w.token("mod")) as mod:
        for body, needle in [
            ({"title": "x", "start": "2021-08-31T16:00", "end": "2021-08-31T14:00"}, "end"),
            ({"title": "x", "start": "2021-08-31T16:00", "end": "2021-09-02T14:00"}, "24"),
            (
                {
                    "title": "x",
                    "start": "2021-08-31T16:00",
                    "end": "2021-08-31T17:00",
                    "reminders_s": [-5],
                },
                "reminders_s",
            ),
            ({"title": "x", "start": "soon", "end": "2021-08-31T17:00"}, "soon"),
        ]:
            r = await mod.call("POST", path, body)
            assert r.status_code == 422 and needle in r.json()["detail"], (body, r.text)
        assert len(await mod.ok("GET", path)) == 1


def _names(problem: dict, field: str, value: str) -> bool:
    """The problem names the field (its own ``field`` or one of its ``errors``) and
    the value in its detail."""
    fields = {problem.get("field")} | {e["field"] for e in problem.get("errors", [])}
    return field in fields and value in problem["detail"]


# 2030-06-04 14:00-16:00 Berlin (CEST) is 12:00-14:00 UTC; 2030-03-31 02:30 is in the gap.
FUTURE = {"start": "2030-06-04T14:00", "end": "2030-06-04T16:00"}
BAD_SESSION_INPUT = [
    ({"reminders_s": [900, -1]}, "reminders_s", "-1"),
    ({"reminders_s": [30 * 86400 + 1]}, "reminders_s", "2592001"),
    ({"timezone": "Mars/Olympus"}, "timezone", '"Mars/Olympus"'),
    ({"timezone": ""}, "timezone", '""'),
    ({"timezone": "../x"}, "timezone", '"../x"'),
    ({"end": "2030-06-04T13:00"}, "end", "2030-06-04T11:00:00Z"),  # before the start
    ({"end": "2030-06-04T14:00"}, "end", "2030-06-04T12:00:00Z"),  # zero length
    ({"end": "2030-06-05T14:30"}, "end", "2030-06-05T12:30:00Z"),  # 24 h 30 min
    ({"start": "2030-03-31T02:30", "end": "2030-03-31T04:00"}, "start", "2030-03-31T02:30"),
]
_IDS = [
    "reminder<0",
    "reminder>30d",
    "zone",
    "zone-empty",
    "zone-path",
    "end<start",
    "empty",
    ">24h",
    "gap",
]


@pytest.mark.parametrize("changes,field,value", BAD_SESSION_INPUT, ids=_IDS)
async def test_bad_session_input_is_422_naming_field_and_value_and_creates_nothing(
    server, changes, field, value
):
    w = await make_world(server, status=None)
    path = f"/api/events/{w.event['id']}/sessions"
    async with Api(server.url, w.token("mod")) as mod:
        before = await mod.ok("GET", path)
        r = await mod.call("POST", path, {"title": "x", **FUTURE, **changes})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert _names(r.json(), field, value), r.json()
        assert await mod.ok("GET", path) == before


@pytest.mark.parametrize("changes,field,value", BAD_SESSION_INPUT, ids=_IDS)
async def test_bad_reschedule_is_422_naming_field_and_value_and_changes_nothing(
    server, changes, field, value
):
    w = await make_world(server, status=None)
    pending = "SELECT kind, target, due_at FROM timers WHERE session_id = {p} ORDER BY kind, target"
    async with Api(server.url, w.token("mod")) as mod:
        s = await mod.ok(
            "POST", f"/api/events/{w.event['id']}/sessions", {"title": "x", **FUTURE}, 201
        )
        before = await mod.ok("GET", f"/api/sessions/{s['id']}")
        timers = query(server, pending, s["id"])
        assert {k for k, _, _ in timers} >= {"session.lobby", "session.reminder", "session.end"}
        r = await mod.call("PATCH", f"/api/sessions/{s['id']}", {"title": "Renamed", **changes})
        assert r.status_code == 422, r.text
        assert _names(r.json(), field, value), r.json()
        assert await mod.ok("GET", f"/api/sessions/{s['id']}") == before
        assert query(server, pending, s["id"]) == timers
        assert not [row for row in log_rows(server, s["id"]) if row[1] == "session.rescheduled"]


async def test_status_machine_409_names_the_current_status(server):
    w = await make_world(server, status=None)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as mod:
        r = await mod.call("POST", f"/api/sessions/{sid}/status", {"status": "ended"})
        assert r.status_code == 409 and "scheduled" in r.json()["detail"]
        assert r.json()["current"] == "scheduled"
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "lobby"})
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "live"})
        r = await mod.call("POST", f"/api/sessions/{sid}/status", {"status": "lobby"})
        assert r.status_code == 409
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "ended"})
        r = await mod.call("POST", f"/api/sessions/{sid}/status", {"status": "cancelled"})
        assert r.status_code == 409 and "ended" in r.json()["detail"]
        r = await mod.call("POST", f"/api/sessions/{sid}/broadcast", {"text": "late"})
        assert r.status_code == 409
        assert (await mod.ok("GET", f"/api/sessions/{sid}"))["status"] == "ended"


async def test_unknown_route_and_method_are_problems(server):
    async with Api(server.url, server.admin_token) as admin:
        r = await admin.call("GET", "/api/nothing-here")
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
        r = await admin.call("PUT", "/api/events")
        assert r.status_code == 405 and r.json()["detail"]


async def test_a_405_names_every_method_the_resource_has(server):
    """RFC 9110 15.5.6: the Allow header lists the resource's methods, not those of
    the first route that matched the path (an event is read and patched; a person
    is read, patched and removed)."""
    async with Api(server.url, server.admin_token) as admin:
        eid = (await admin.ok("POST", "/api/events", {"title": "Allow"}, 201))["id"]
        pid = (
            await admin.ok(
                "POST", f"/api/events/{eid}/people", {"name": "A", "role": "participant"}, 201
            )
        )["id"]
        for method, path, allowed in [
            ("PUT", f"/api/events/{eid}", {"GET", "PATCH"}),
            ("POST", f"/api/events/{eid}/people/{pid}", {"GET", "PATCH", "DELETE"}),
            ("DELETE", f"/api/events/{eid}/people", {"GET", "POST"}),
            ("POST", "/console/app.js", {"GET", "HEAD"}),  # the console's files
        ]:
            r = await admin.call(method, path)
            assert r.status_code == 405, (method, path, r.status_code)
            said = {m.strip() for m in r.headers["allow"].split(",")}
            assert said == allowed, (method, path, said)


async def test_a_body_that_is_not_utf8_is_422_and_creates_nothing(server):
    """Bytes that are not UTF-8 are a body that is not JSON, like any other: 422
    naming the body (FastAPI said 400 "There was an error parsing the body", a status
    the document does not declare)."""
    async with Api(server.url, server.admin_token) as admin:
        eid = (await admin.ok("POST", "/api/events", {"title": "Bytes"}, 201))["id"]
        before = await admin.ok("GET", f"/api/events/{eid}/people")
        r = await admin.call(
            "POST",
            f"/api/events/{eid}/people",
            content=b'{"name": "\xff", "role": "participant"}',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422, (r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert "UTF-8" in r.json()["detail"] and r.json()["errors"][0]["field"] == "body"
        assert await admin.ok("GET", f"/api/events/{eid}/people") == before


async def test_bodies_over_one_mib_are_413(server):
    async with Api(server.url, server.admin_token) as admin:
        r = await admin.call("POST", "/api/events", {"title": "x" * (1024 * 1024 + 10)})
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"


async def test_chunked_bodies_are_counted_too(server):
    """A body sent without Content-Length (chunked) is counted as it arrives: over
    1 MiB is 413; under it, the request goes through whole."""

    def chunks(body: bytes, size: int = 64 * 1024):
        async def gen():
            for i in range(0, len(body), size):
                yield body[i : i + size]

        return gen()

    headers = {"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=20) as http:
        big = orjson.dumps({"title": "x" * (1024 * 1024 + 10)})
        r = await http.post("/api/events", content=chunks(big))
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        assert "content-length" not in r.request.headers  # it really went chunked
        small = orjson.dumps({"title": "Chunked kick-off"})
        r = await http.post("/api/events", content=chunks(small, 5))
        assert r.status_code == 201, r.text
        assert r.json()["title"] == "Chunked kick-off"


async def test_healthz_reports_database_and_tzdata(server):
    async with Api(server.url, None) as anon:
        body = await anon.ok("GET", "/healthz")
    assert body["database"] == "ok" and body["tzdata"].startswith("20")


async def test_a_person_patched_with_null_is_422_and_unchanged(server):
    w = await make_world(server, status=None)
    path = f"/api/events/{w.event['id']}/people/{w.id('p1')}"
    async with Api(server.url, w.token("mod")) as mod:
        before = await mod.ok("GET", path)
        for field in ("name", "timezone", "interprets", "groups"):
            r = await mod.call("PATCH", path, {field: None})
            assert r.status_code == 422, (field, r.text)
            assert field in r.json()["detail"]
        assert await mod.ok("GET", path) == before
        r = await mod.call("PATCH", path, {"groups": []})  # an empty list clears
        assert r.status_code == 200 and r.json()["groups"] == []


async def test_remove_person_ends_their_token(server):
    w = await make_world(server)
    async with Api(server.url, w.token("mod")) as mod:
        await mod.ok("DELETE", f"/api/events/{w.event['id']}/people/{w.id('p3')}", status=204)
        people = await mod.ok("GET", f"/api/events/{w.event['id']}/people")
        assert w.id("p3") not in {p["id"] for p in people}
        r = await mod.call("DELETE", f"/api/events/{w.event['id']}/people/{w.id('p3')}")
        assert r.status_code == 404
    async with Api(server.url, w.token("p3")) as gone:
        assert (await gone.call("GET", f"/api/events/{w.event['id']}")).status_code == 401


async def test_a_patch_field_the_document_lets_be_null_takes_null(server):
    """What the OpenAPI document declares nullable in an event's, a session's or a
    person's PATCH, the service takes (generated clients type such a field
    ``string | null`` and may send null); a field that refuses null is declared
    optional but not nullable."""
    async with Api(server.url, server.admin_token) as admin:
        doc = await admin.ok("GET", "/openapi.json")
        eid = (await admin.ok("POST", "/api/events", {"title": "Nulls"}, 201))["id"]
        sid = (
            await admin.ok(
                "POST",
                f"/api/events/{eid}/sessions",
                {"title": "s", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"},
                201,
            )
        )["id"]
        pid = (
            await admin.ok(
                "POST", f"/api/events/{eid}/people", {"name": "N", "role": "participant"}, 201
            )
        )["id"]
        refused = []
        for template, path in [
            ("/api/events/{event_id}", f"/api/events/{eid}"),
            ("/api/sessions/{session_id}", f"/api/sessions/{sid}"),
            ("/api/events/{event_id}/people/{person_id}", f"/api/events/{eid}/people/{pid}"),
        ]:
            body = doc["paths"][template]["patch"]["requestBody"]["content"]["application/json"]
            schema = _component(doc, body["schema"])
            for name, prop in schema["properties"].items():
                if {"type": "null"} not in prop.get("anyOf", []):
                    continue
                r = await admin.call("PATCH", path, {name: None})
                if r.status_code != 200:
                    refused.append(f"PATCH {template} {name}: {r.status_code} {r.text}")
        assert not refused, refused


def _component(doc: dict, schema: dict) -> dict:
    return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
