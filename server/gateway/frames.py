"""Encoding of server frames. One encode per event and audience variant."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from ..models import EventRecord


def iso_ms(t: dt.datetime) -> str:
    t = t.astimezone(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def variant_of(ev: EventRecord, listening: str | None) -> str | None:
    """The part of a frame that differs between recipients (broadcast language)."""
    if (
        ev.type == "broadcast.message"
        and listening
        and listening in ev.data.get("translations", {})
    ):
        return listening
    return None


def encode_event(ev: EventRecord, variant: str | None = None) -> str:
    data: dict[str, Any] = ev.data
    if ev.type == "broadcast.message":
        data = dict(data)
        if variant:
            data["text"] = data["translations"][variant]
        data["language"] = variant
    return orjson.dumps(
        {
            "seq": ev.seq,
            "type": ev.type,
            "session_id": ev.session_id,
            "at": iso_ms(ev.at),
            "by": ev.by,
            "data": data,
        }
    ).decode()


def encode(obj: dict[str, Any]) -> str:
    return orjson.dumps(obj, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _default(o: Any) -> Any:
    if isinstance(o, dt.datetime):
        return iso_ms(o) if o.microsecond else o.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise TypeError(f"cannot encode {type(o).__name__}")
