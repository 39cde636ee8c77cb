"""The base of the domain events: a frozen dataclass per ``type`` whose fields are the
payload, so each event type is written once. ``data()`` derives the payload from the
fields; the server derives its wire schema from the same fields (``server.events``).

Values on the wire: nested values give their ``public()`` form, tuples become lists
and mappings dicts; instants stay aware UTC datetimes for the server to format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, ClassVar


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
        for field in fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if field.name == "audience" or (value is None and field.name in self.omitted_when_none):
                continue
            payload[self.wire_names.get(field.name, field.name)] = wire(value)
        return payload


def wire(value: Any) -> Any:
    """A field's value as the payload carries it."""
    if hasattr(value, "public"):
        return value.public()
    if isinstance(value, tuple | list):
        return [wire(item) for item in value]
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    return value
