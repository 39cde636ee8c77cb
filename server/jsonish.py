"""Plain dicts for responses: instants become ISO 8601 UTC strings with ``Z``."""

from __future__ import annotations

import datetime as dt
from typing import Any


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
