"""RFC 9457 problem details for every error: ours, FastAPI's and Starlette's."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from . import outage

log = logging.getLogger("convene.errors")

PROBLEM = "application/problem+json"

# Fields whose value is a credential: never echoed in a problem (detail, value, errors).
_SECRET_FIELD = re.compile(r"secret|token|password|passphrase|api_?key|credential", re.I)


def secret_bearing(field: object) -> bool:
    return isinstance(field, str) and _SECRET_FIELD.search(field) is not None


def _redacted(extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` without the ``value`` of a secret-bearing ``field``, also in ``errors``."""
    if secret_bearing(extra.get("field")) and "value" in extra:
        extra = {k: v for k, v in extra.items() if k != "value"}
    items = extra.get("errors")
    if isinstance(items, list):
        extra["errors"] = [
            {k: v for k, v in e.items() if k != "value"}
            if isinstance(e, dict) and secret_bearing(e.get("field"))
            else e
            for e in items
        ]
    return extra


class Problem(Exception):
    """An error a client can act on. ``extra`` members join the problem object."""

    status = 400
    slug = "bad-request"

    def __init__(self, detail: str, *, status: int | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if status is not None and status != self.status:
            self.status = status
            self.slug = None  # the type follows the status: derived from its title
        self.extra = extra


class Invalid(Problem):
    status, slug = 422, "invalid-input"


class NotFound(Problem):
    status, slug = 404, "not-found"


class Forbidden(Problem):
    status, slug = 403, "forbidden"


class Unauthorized(Problem):
    status, slug = 401, "unauthorized"


class Conflict(Problem):
    status, slug = 409, "conflict"


class TooMany(Problem):
    """429 with ``retry_after`` (seconds) in the problem and a ``Retry-After`` header."""

    status, slug = 429, "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


DOMAIN_KINDS: dict[str, type[Problem]] = {
    "invalid": Invalid,
    "not_found": NotFound,
    "forbidden": Forbidden,
    "conflict": Conflict,
}


def from_domain(kind: str, detail: str, **extra: Any) -> Problem:
    """Map a domain error kind (invalid, not_found, forbidden, conflict) to a Problem."""
    return DOMAIN_KINDS.get(kind, Invalid)(detail, **extra)


def problem_response(
    status: int, detail: str, *, slug: str | None = None, headers=None, **extra: Any
) -> Response:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {
        "type": f"https://convene.dev/problems/{slug or title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        **_redacted(extra),
    }
    return Response(
        orjson.dumps(body, default=str), status_code=status, media_type=PROBLEM, headers=headers
    )


def _loc(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def describe_validation(errors: list[dict]) -> tuple[str, list[dict]]:
    """One sentence per field error; unknown fields named as such."""
    sentences, items = [], []
    for e in errors:
        where = _loc(tuple(e.get("loc", ())))
        if e.get("type") == "extra_forbidden":
            msg = f"unknown field '{where}': remove it (see /docs for the accepted fields)"
        elif e.get("type") == "missing":
            msg = f"'{where}' is required"
        elif e.get("type") == "json_invalid":
            msg = "the request body is not valid JSON"
        else:
            value = e.get("input")
            hidden = isinstance(value, dict | list) or value is None or secret_bearing(where)
            shown = "" if hidden else f" (got {value!r})"
            msg = f"'{where}': {e.get('msg', 'invalid value')}{shown}"
        sentences.append(msg)
        items.append({"field": where, "message": msg})
    return "; ".join(sentences) or "invalid input", items


def _allowed(req: Request) -> list[str]:
    """Every method a route serves at the request's path: Starlette's 405 names only
    those of the first route whose path matched (RFC 9110 15.5.6 wants them all)."""
    methods: set[str] = set()
    # from the top: a mount that raised the 405 has moved ``root_path`` to itself
    scope = {
        **req.scope,
        "root_path": req.scope.get("app_root_path", req.scope.get("root_path", "")),
    }
    for route in req.app.router.routes:
        if route.matches(scope)[0] != Match.NONE:
            # a route without methods is a mount of static files (the console's)
            methods |= getattr(route, "methods", None) or {"GET", "HEAD"}
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_req: Request, exc: Problem):
        headers = getattr(exc, "headers", None)
        return problem_response(exc.status, exc.detail, slug=exc.slug, headers=headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError):
        detail, items = describe_validation(list(exc.errors()))
        return problem_response(422, detail, slug="invalid-input", errors=items)

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI's 400 for a JSON body that is not UTF-8: a body that is not JSON,
            # as any other (422, the status the document declares)
            msg = "the request body is not valid JSON: it is not UTF-8 text"
            items = [{"field": "body", "message": msg}]
            return problem_response(422, msg, slug="invalid-input", errors=items)
        if exc.status_code == 404 and exc.detail in (None, "Not Found"):
            detail = f"there is no {req.method} {req.url.path}; see /docs for the API"
        elif exc.status_code == 405:
            detail = f"{req.method} is not allowed on {req.url.path}; see /docs"
            headers = {"Allow": ", ".join(_allowed(req))}
        else:
            detail = str(exc.detail)
        return problem_response(exc.status_code, detail, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def _database(_req: Request, exc: SQLAlchemyError):
        if not outage.database_unavailable(exc):
            raise exc  # a bug: the 500 below, with its traceback
        log.warning("database unavailable: %s", str(exc).splitlines()[0])
        return problem_response(
            503,
            outage.DETAIL,
            slug="service-unavailable",
            headers={"Retry-After": str(outage.RETRY_AFTER_S)},
            retry_after=outage.RETRY_AFTER_S,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "the service failed unexpectedly; the error was logged")
