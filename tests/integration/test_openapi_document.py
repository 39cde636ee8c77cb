"""The OpenAPI document describes what the service does: problems (``application/problem+json``),
security, typed answers, instants and enums are all declared, and described."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.openapi_document import operations

PROBLEM = "application/problem+json"
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(server) -> dict:
    return httpx.get(f"{server.url}/openapi.json", timeout=10).json()


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _schemas_with(document: dict, schema: dict, seen: set | None = None):
    """Every (object schema name, property name, property schema) reachable."""
    seen = set() if seen is None else seen
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return
        seen.add(name)
        target = document["components"]["schemas"][name]
        for prop, sub in target.get("properties", {}).items():
            yield name, prop, sub
            yield from _schemas_with(document, sub, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _schemas_with(document, sub, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _schemas_with(document, schema[key], seen)
    for prop, sub in schema.get("properties", {}).items():
        yield "(inline)", prop, sub
        yield from _schemas_with(document, sub, seen)


def _leaves(document: dict, schema: dict):
    schema = _resolve(document, schema)
    alts = schema.get("anyOf") or schema.get("oneOf")
    if alts:
        for a in alts:
            yield from _leaves(document, a)
    else:
        yield schema


def _described(document: dict, schema: dict | None) -> bool:
    """Not ``{}`` and not a bare object (``dict[str, Any]``): members are named."""
    if not schema:
        return False
    for leaf in _leaves(document, schema):
        leaf = _resolve(document, leaf.get("items", leaf))
        if leaf.get("type") == "object" and not leaf.get("properties"):
            return False
    return True


INSTANTS = re.compile(r"^(.*_at|start|end|at|expires_at)$")


def test_the_document_declares_problems_security_typed_answers_instants_and_enums(document):
    components = document["components"]
    assert components["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    problem = components["schemas"]["Problem"]
    for member in ("type", "title", "status", "detail", "errors", "candidates", "current"):
        assert member in problem["properties"], member
    (errors,) = [s for s in _leaves(document, problem["properties"]["errors"]) if "items" in s]
    entries = {frozenset(_resolve(document, s)["required"]) for s in errors["items"]["anyOf"]}
    assert frozenset({"field", "message"}) in entries  # request validation
    assert frozenset({"line", "reason"}) in entries  # a breakout plan's CSV lines
    assert frozenset({"line", "index", "column", "value", "detail"}) in entries  # import
    assert "HTTPValidationError" not in components["schemas"]

    untyped, missing = [], []
    for path, method, op in operations(document):
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        for code, r in responses.items():
            if code.startswith("2") and code != "204":
                content = r.get("content", {})
                assert content, f"{where} {code} has no content"
                for ctype, media in content.items():
                    if ctype.endswith("json") and not _described(document, media.get("schema")):
                        untyped.append(f"{where} {code}")
        secured = op.get("security") == [{"bearer": []}]
        if not path.startswith("/api/") or path.startswith("/api/about"):
            continue
        expected = {"404"} if "{" in path else set()  # an id that is not there
        if op.get("parameters") or op.get("requestBody"):
            expected.add("422")
        if path != "/api/calendar/{token}.ics":
            assert secured, f"{where} declares no bearer security"
            expected |= {"401", "403"}
        if method in WRITES:
            expected |= {"409", "429"}
        if method in {"post", "put", "patch"}:
            expected.add("413")
        for code in sorted(expected):
            media = responses.get(code, {}).get("content", {})
            if list(media) != [PROBLEM] or media[PROBLEM]["schema"] != {
                "$ref": "#/components/schemas/Problem"
            }:
                missing.append(f"{where} {code}")
    assert not untyped, f"answers without a schema: {untyped}"
    assert not missing, f"problem answers not declared: {missing}"

    for _path, _method, op in operations(document):
        for code, r in op["responses"].items():
            media = r.get("content", {}).get("application/json")
            if not code.startswith("2") or media is None:
                continue
            for model, prop, sub in _schemas_with(document, media["schema"]):
                leaves = [s for s in _leaves(document, sub) if s.get("type") != "null"]
                if INSTANTS.match(prop) and any(s.get("type") == "string" for s in leaves):
                    assert all(s.get("format") == "date-time" for s in leaves), (model, prop)
                if prop in {"status", "role", "strategy", "state"} or (
                    prop == "kind" and model != "SessionPublic"  # a session's kind is free text
                ):
                    assert all("enum" in s or "const" in s for s in leaves), (model, prop, sub)


def _references(node, where: str = ""):
    """Every ``$ref`` in the document, with the JSON pointer of the object holding it."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield where, value
            else:
                yield from _references(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _references(value, f"{where}/{i}")


def test_every_reference_in_the_document_resolves_in_it(document):
    """A generated client resolves each ``$ref`` from the document's root; one that
    points nowhere (a schema inlined with its own ``$defs``) breaks the generator or
    leaves that body untyped: the registrants import's ``role`` did."""
    unresolved = []
    for where, ref in _references(document):
        target = document
        for part in ref.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not ref.startswith("#/") or not isinstance(target, dict) or part not in target:
                unresolved.append(f"{ref} at {where}")
                break
            target = target[part]
    assert not unresolved, unresolved
    body = document["paths"]["/api/events/{event_id}/people/import"]["post"]["requestBody"]
    items = _resolve(document, body["content"]["application/json"]["schema"]["items"])
    role = _resolve(document, items["properties"]["role"])
    assert role["enum"] == ["moderator", "interpreter", "participant", "observer"]


LANGUAGE_FIELDS = {"language", "floor_language", "languages", "interpretation_languages"}


def test_language_codes_and_directions_are_declared_with_their_form(document):
    """A generated form or client can check a language before it is sent: every
    request field that takes an ISO 639-1 code, or an interpreting direction, says
    its form (the service refuses anything else with a 422)."""
    undeclared, seen = [], 0
    for path, method, op in operations(document):
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if not body:
            continue
        for model, prop, schema in _schemas_with(document, body["schema"]):
            if prop not in LANGUAGE_FIELDS | {"interprets", "translations"}:
                continue
            for leaf in _leaves(document, schema):
                if leaf.get("type") == "null":
                    continue
                if prop == "translations":
                    leaf = leaf.get("propertyNames", {})
                elif leaf.get("type") == "array":
                    leaf = _resolve(document, leaf["items"])
                want = "^[a-z]{2}>[a-z]{2}$" if prop == "interprets" else "^[a-z]{2}$"
                seen += 1
                if leaf.get("pattern") != want:
                    undeclared.append(f"{method.upper()} {path}: {model}.{prop} {leaf}")
    assert seen > 10 and not undeclared, undeclared
