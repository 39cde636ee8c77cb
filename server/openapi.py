"""The OpenAPI document as the service behaves: RFC 9457 problems (not FastAPI's
``HTTPValidationError``) for the 4xx an operation can answer, and a bearer scheme on
the operations that read the token, so generated clients parse errors and ``/docs``
offers Authorize."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field

from .deps import current_caller
from .errors import PROBLEM

SCHEME = "bearer"
WRITES = {"post", "put", "patch", "delete"}
# models that routes name only in ``openapi_extra`` (a body they parse themselves, CSV
# or JSON): FastAPI never sees them, so ``describe`` adds them to the components
_BODIES: dict[str, type[BaseModel]] = {}


def body_ref(model: type[BaseModel]) -> dict[str, str]:
    """``model`` as a reference into the document's components, for ``openapi_extra``.
    Inlining ``model_json_schema()`` instead carries its own ``$defs``, which a
    ``$ref`` resolved from the document's root (as generators do) never reaches."""
    _BODIES[model.__name__] = model
    return {"$ref": f"#/components/schemas/{model.__name__}"}


class FieldError(BaseModel):
    """A request field that failed validation."""

    field: str = Field(description="dotted path of the field, e.g. 'rooms.0.name'")
    message: str


class PlanLineError(BaseModel):
    """A bad line of a breakout plan's CSV."""

    line: int
    reason: str


class ImportRowError(BaseModel):
    """A bad cell of a registrants import."""

    line: int | None = Field(description="physical line where the record starts; null for JSON")
    index: int | None = Field(description="0-based row; null for a cell of the header line")
    column: str | None
    value: Any
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the extension members Convene uses."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str
    title: str
    status: int
    detail: str = Field(description="what was wrong and how to fix it")
    errors: list[FieldError | PlanLineError | ImportRowError] | None = Field(
        None, description="every bad field, line or cell (422)"
    )
    field: str | None = Field(None, description="the field a time or URL problem is about")
    value: Any = Field(None, description="the value given for that field")
    candidates: list[dt.datetime] | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="a local time in a gap or overlap read both ways, in UTC, earliest first",
    )
    current: str | None = Field(None, description="the session's status that refused (409)")
    retry_after: float | None = Field(None, description="seconds to wait (429, 503)")


WHEN = {
    "401": "no valid token",
    "403": "the token's role may not do this",
    "404": "an id in the path or body does not exist in the caller's event",
    "409": "valid, but the current state does not allow it",
    "413": "the body is over 1 MiB",
    "415": "the body's Content-Type is not one the operation reads",
    "422": "invalid input; `errors` lists every bad field",
    "429": "too many requests; wait `retry_after` seconds",
    "503": "the database is unreachable; retry after `Retry-After` seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}}


def _problem_codes(route: RouteContext, method: str, op: dict, secured: bool) -> list[str]:
    codes = []
    if secured:
        codes += ["401", "403"]
    if "{" in route.path_format:
        codes.append("404")
    if secured and method in WRITES:
        codes += ["409", "429"]
    if method in {"post", "put", "patch"}:
        codes.append("413")
    if "415" in op["responses"]:  # an operation that reads more than JSON says so itself
        codes.append("415")
    if op.get("parameters") or op.get("requestBody") or "422" in op["responses"]:
        codes.append("422")
    if secured or "{" in route.path_format:  # a token or an id is looked up
        codes.append("503")
    return codes


def _calls(dependant):
    yield dependant.call
    for d in dependant.dependencies:
        yield from _calls(d)


def describe(app: FastAPI, doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for name, body in _BODIES.items():
        if name not in schemas:  # FastAPI's own, where another route takes it as a body
            schema = body.model_json_schema(ref_template="#/components/schemas/{model}")
            for nested, sub in schema.pop("$defs", {}).items():
                schemas.setdefault(nested, sub)
            schemas[name] = schema
    doc["components"]["securitySchemes"] = {SCHEME: {"type": "http", "scheme": "bearer"}}
    content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for route in iter_route_contexts(app.routes):  # included routers' routes too
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        secured = current_caller in set(_calls(route.dependant))
        for method in route.methods:
            op = doc["paths"].get(route.path_format, {}).get(method.lower())
            if op is None:
                continue
            if secured:
                op["security"] = [{SCHEME: []}]
            for code in _problem_codes(route, method.lower(), op, secured):
                op["responses"][code] = {
                    "description": f"Problem: {WHEN[code]}",
                    "content": content,
                    **({"headers": RETRY_AFTER} if code == "503" else {}),
                }
            op["responses"] = dict(sorted(op["responses"].items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return doc


def install(app: FastAPI) -> None:
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app, plain())
        return app.openapi_schema

    app.openapi = openapi
