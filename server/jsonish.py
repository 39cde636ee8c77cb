"""Plain dicts for responses: instants become ISO 8601 UTC strings with ``Z``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from starlette.responses import Response


def z(t: dt.datetime) -> str:
    """The same text pydantic writes for stored event data, so a client compares
    instants from events and from snapshots as strings."""
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def utc_json(obj: Any) -> Any:
    if isinstance(obj, dt.datetime):
        return z(obj)
    if isinstance(obj, dict):
        return {k: utc_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [utc_json(v) for v in obj]
    return obj


def json_response(data: Any) -> Response:
    """A plain-JSON answer (text, integers, booleans, None, lists and dicts with text
    keys: a round's view after ``utc_json``) as the very bytes FastAPI's default
    answer has, without its ``jsonable_encoder`` walk: the view of an opened round
    lists everyone of the event (~1.5 ms of an opening's request). Not for floats,
    whose text may differ."""
    return Response(orjson.dumps(data), media_type="application/json")
