"""NUL characters are refused at the edge, for every request.

PostgreSQL cannot store NUL (``\\x00``) in text and raises; SQLite stores it. So a NUL
that reached the database was a 500 on one backend and a stored value on the other.
Request bodies refuse it in their models (``schemas.Strict``); this ASGI middleware
covers what no model sees: a NUL in the path is a 404 (no id has one; a WebSocket is
accepted and closed with 4404), in a query parameter a 422 naming the parameter."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from . import errors

NUL = "\x00"
MESSAGE = "must not contain NUL characters (\\x00)"


def has_nul(value: Any) -> bool:
    """Whether a string anywhere in ``value`` (lists, dict keys and values) has a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def refuse_nul(value: Any) -> Any:
    """A ``before`` validator: the value unchanged, or a ValueError naming NUL."""
    if has_nul(value):
        raise ValueError(MESSAGE)
    return value


class RefuseNul:
    """Plain ASGI (no task group per request, as for the body limit)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, scope, receive, send):
        """A clean request goes straight to the app (its awaitable returned, not
        awaited here: no frame of this middleware held by each idle WebSocket)."""
        if scope["type"] not in ("http", "websocket") or not (
            NUL in scope["path"] or (scope["type"] == "http" and b"%00" in scope["query_string"])
        ):
            return self.app(scope, receive, send)
        return self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send):
        if NUL in scope["path"]:
            if scope["type"] == "websocket":
                if (await receive())["type"] == "websocket.connect":
                    await send({"type": "websocket.accept"})
                    await send({"type": "websocket.close", "code": 4404})
                return None
            detail = "there is no resource with a NUL character (\\x00) in its address"
            return await errors.problem_response(404, detail, slug="not-found")(
                scope, receive, send
            )
        if scope["type"] == "http" and b"%00" in scope["query_string"]:
            query = scope["query_string"].decode("latin-1")
            for name, value in parse_qsl(query, keep_blank_values=True):
                if NUL in name or NUL in value:
                    detail = f"query parameter {name!r} {MESSAGE}"
                    items = [{"field": name, "message": detail}]
                    bad = errors.problem_response(422, detail, slug="invalid-input", errors=items)
                    return await bad(scope, receive, send)
        return await self.app(scope, receive, send)
