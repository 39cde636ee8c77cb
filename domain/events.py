"""The base of the domain events: a frozen dataclass per ``type`` whose fields are the
payload, so each event type is written once. ``data()`` derives the payload from the
fields; the server derives its wire schema from the same fields (``server.events``).

Values on the wire: nested values give their ``public()`` form, tuples become lists
and mappings dicts; instants stay aware UTC datetimes for the server to format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields
from typing import Any, ClassVar

# values ``wire`` returns as they are: written without the call (an opening makes
# 1,200 events of a few such fields each)
_PLAIN = frozenset({str, int, float, bool, type(None), dt.datetime})


class Event:
    """Subclasses are frozen dataclasses with an ``audience`` field (see
    ``domain.audience``) and set ``type``."""

    type: ClassVar[str]
    audience: tuple[str, ...]
    #: wire names of fields whose Python name cannot be it (``from`` is a keyword)
    wire_names: ClassVar[Mapping[str, str]] = {}
    #: fields left out of the payload while they are None
    omitted_when_none: ClassVar[frozenset[str]] = frozenset()

    def data(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for name, wire_name, omitted in _layout(type(self)):
            value = getattr(self, name)
            if value is None and omitted:
                continue
            payload[wire_name] = value if type(value) in _PLAIN else wire(value)
        return payload


_LAYOUTS: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _layout(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """Per event class: each payload field's name, wire name and whether it is left
    out while None (``fields()`` builds its tuple on every call)."""
    layout = _LAYOUTS.get(cls)
    if layout is None:
        layout = _LAYOUTS[cls] = tuple(
            (f.name, cls.wire_names.get(f.name, f.name), f.name in cls.omitted_when_none)
            for f in fields(cls)  # type: ignore[arg-type]
            if f.name != "audience"
        )
    return layout


def wire(value: Any) -> Any:
    """A field's value as the payload carries it."""
    if hasattr(value, "public"):
        return value.public()
    if isinstance(value, tuple | list):
        return [wire(item) for item in value]
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    return value
