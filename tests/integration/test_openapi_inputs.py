"""Every operation of the OpenAPI document, walked on both backends: a NUL character
in any path id is a 404, in any query parameter or any string of a request body
(nested ones, dict keys and values included) a 422 naming the field; a number field
refuses ``true`` and ``"5"``. PostgreSQL refuses NUL in text and SQLite stores it, so
without checks at the edge the two backends answered differently (500 and 201)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.client import Api, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

NUL = "a\x00b"
Case = tuple[str, Any]  # (field path as the problem names it, body)


@pytest.fixture(scope="module")
async def walk(any_server):
    """The OpenAPI document and real ids for the path parameters."""
    server = any_server
    async with Api(server.url, server.admin_token) as admin:
        doc = await admin.ok("GET", "/openapi.json")
        event = await admin.ok("POST", "/api/events", {"title": "Walk"}, 201)
        eid = event["id"]
        session = await admin.ok(
            "POST",
            f"/api/events/{eid}/sessions",
            {"title": "s", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"},
            201,
        )
        person = await admin.ok(
            "POST", f"/api/events/{eid}/people", {"name": "P", "role": "participant"}, 201
        )
        rnd = await admin.ok(
            "POST",
            f"/api/sessions/{session['id']}/breakouts",
            {"count": 2, "strategy": "balanced"},
            201,
        )
        hook = await admin.ok(
            "POST",
            f"/api/events/{eid}/webhooks",
            {"url": "http://127.0.0.1:9/hook", "secret": "s3cret-s3cret"},
            201,
        )
    ids = {
        "event_id": eid,
        "session_id": session["id"],
        "person_id": person["id"],
        "round_id": rnd["id"],
        "webhook_id": hook["id"],
        "language": "ar",
    }
    return server, doc, ids


def _operations(doc) -> Iterator[tuple[str, str, dict]]:
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def _url(path: str, ids: dict[str, str], **override: str) -> str:
    values = {**ids, **override}
    for name in (p[1:-1] for p in path.split("/") for p in [p.split(".")[0]] if "{" in p):
        path = path.replace("{" + name + "}", values.get(name) or str(uuid.uuid4()))
    return path


def _resolve(doc, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _variants(doc, schema: dict) -> list[dict]:
    """The alternatives of an ``anyOf`` (nulls aside), resolved."""
    schema = _resolve(doc, schema)
    options = schema.get("anyOf", [schema])
    return [_resolve(doc, s) for s in options if s.get("type") != "null"]


def _cases(doc, schema: dict, where: str, make) -> Iterator[Case]:
    """For each place of the schema that ``make(schema)`` can fill with a bad value:
    (where, a value that puts it there)."""
    for option in _variants(doc, schema):
        bad = make(option)
        if bad is not _SKIP:
            yield where, bad
        kind = option.get("type")
        if kind == "array" and "items" in option:
            for inner, value in _cases(doc, option["items"], f"{where}.0", make):
                yield inner, [value]
        elif kind == "object" and "properties" in option:
            for name, prop in option["properties"].items():
                for inner, value in _cases(doc, prop, f"{where}.{name}".lstrip("."), make):
                    yield inner, {name: value}
        elif kind == "object" and isinstance(option.get("additionalProperties"), dict):
            if make({"type": "string"}) is not _SKIP:
                yield where, {NUL: "x"}
            for inner, value in _cases(doc, option["additionalProperties"], f"{where}.k", make):
                yield inner, {"k": value}


_SKIP = object()


def _nul(schema: dict) -> Any:
    return NUL if schema.get("type") == "string" else _SKIP


def _body_schemas(op: dict) -> Iterator[dict]:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        yield content["application/json"]["schema"]


def _names(problem: dict) -> list[str]:
    return [e["field"] for e in problem.get("errors", [])] or [problem["detail"]]


async def test_nul_in_any_body_string_is_422_naming_the_field(walk):
    server, doc, ids = walk
    checked = 0
    async with Api(server.url, server.admin_token) as admin:
        for method, path, op in _operations(doc):
            for schema in _body_schemas(op):
                for where, body in _cases(doc, schema, "", _nul):
                    top = where.split(".")[0]
                    r = await admin.call(method, _url(path, ids), body)
                    assert r.status_code == 422, (method, path, body, r.text)
                    problem = r.json()
                    assert any(top in n for n in _names(problem)), (method, path, body, problem)
                    assert "NUL" in problem["detail"], (method, path, body, problem)
                    checked += 1
    assert checked > 40  # the walk found the body strings


async def test_nul_in_any_path_id_is_404_and_in_any_query_parameter_422(walk):
    server, doc, ids = walk
    checked = 0
    async with Api(server.url, server.admin_token) as admin:
        for method, path, op in _operations(doc):
            for param in op.get("parameters", []):
                name = param["name"]
                if param["in"] == "path":
                    r = await admin.call(method, _url(path, ids, **{name: "%00"}))
                    assert r.status_code == 404, (method, path, name, r.text)
                elif param["in"] == "query":
                    r = await admin.call(method, _url(path, ids), params={name: NUL})
                    assert r.status_code == 422, (method, path, name, r.text)
                    assert name in r.json()["detail"], r.text
                else:
                    continue
                assert r.headers["content-type"] == "application/problem+json"
                checked += 1
    assert checked > 60
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as bare:
        assert (await bare.get("/api/events/%00")).status_code == 404
        assert (await bare.get("/api/calendar/a%00b.ics")).status_code == 404


async def test_nul_in_a_websocket_path_closes_4404(walk):
    server, _, _ = walk
    ws = await ws_connect(server, "a%00b", server.admin_token)
    assert await ws.closed_with() == 4404


def _number(schema: dict) -> Any:
    return schema if schema.get("type") in ("integer", "number") else _SKIP


@pytest.mark.parametrize("bad", [True, "5"], ids=["true", "string"])
async def test_number_fields_refuse_booleans_and_strings(walk, bad):
    server, doc, ids = walk
    checked = 0
    async with Api(server.url, server.admin_token) as admin:
        for method, path, op in _operations(doc):
            for schema in _body_schemas(op):
                for where, body in _cases(doc, schema, "", _number):
                    body = _replace_leaf(body, bad)
                    r = await admin.call(method, _url(path, ids), body)
                    assert r.status_code == 422, (method, path, body, r.text)
                    assert where in _names(r.json()), (method, path, body, r.json())
                    checked += 1
    assert checked > 10


def _replace_leaf(value: Any, bad: Any) -> Any:
    """The body with its one number schema (the leaf ``_number`` put there) as ``bad``."""
    if isinstance(value, dict) and "type" in value and value["type"] in ("integer", "number"):
        return bad
    if isinstance(value, dict):
        return {k: _replace_leaf(v, bad) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_leaf(v, bad) for v in value]
    return value


async def test_duration_true_is_refused_and_plain_integers_accepted(walk):
    server, _, ids = walk
    async with Api(server.url, server.admin_token) as admin:
        body = {"handover_timeout_s": 45, "turn_s": 600}
        event = await admin.ok("PATCH", f"/api/events/{ids['event_id']}", body)
        assert (event["handover_timeout_s"], event["turn_s"]) == (45, 600)
        r = await admin.call(
            "POST",
            f"/api/sessions/{ids['session_id']}/breakouts",
            {"count": 2, "strategy": "balanced", "duration_s": True},
        )
        assert r.status_code == 422 and "duration_s" in r.json()["detail"], r.text
