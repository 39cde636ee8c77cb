"""Every event type by its wire name: one typed schema each, made where the event is
made and validated there. Domain packages emit dataclass events with the same
``type`` strings; ``coerce`` validates their payloads against this registry."""

from __future__ import annotations

from typing import Any

from . import events, events_attendance, events_breakouts, events_interpretation
from .events import EventData


def _gather(*modules) -> dict[str, type[EventData]]:
    registry: dict[str, type[EventData]] = {}
    for module in modules:
        for model in module.SCHEMAS:
            if model.type in registry:
                raise ValueError(f"event type {model.type!r} has two schemas")
            registry[model.type] = model
    return registry


REGISTRY: dict[str, type[EventData]] = _gather(
    events, events_breakouts, events_interpretation, events_attendance
)


def coerce(type_: str, data: dict[str, Any]) -> EventData:
    """Validate a domain event's payload against its registered schema."""
    model = REGISTRY.get(type_)
    if model is None:
        raise KeyError(f"event type {type_!r} is not registered")
    return model.model_validate(data)
