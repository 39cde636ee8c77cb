"""Every event type by its wire name: one typed schema each, made where the event is
made and validated there. Domain packages emit dataclass events with the same
``type`` strings; ``coerce`` validates their payloads against this registry.

``trusted`` is the production path for events the domain generated (issue 19): a
round opening makes about 1,200 of them, and validating and dumping each through
pydantic cost about 16 us, 20 ms per opening, to re-check what the domain's own
types already guarantee. It builds the typed event (followers match on its class)
and the stored payload without pydantic, for the schemas where that yields exactly
the validated dump; anything else still goes through ``coerce``. Fields of nested
models of plain fields (a ``channel.updated``'s channel, with its source and booth)
are taken when the value is exactly such a model's dump, and their models made
unvalidated: an opening's hundred ``channel.updated`` went through pydantic. The test
suite and ``CONVENE_VALIDATE_EVENTS=1`` validate every event and check that
``trusted`` agrees with the validated payload byte for byte and with the validated
event (``server.eventlog``)."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel

from . import events, events_attendance, events_breakouts, events_interpretation, events_speakers
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
    events, events_breakouts, events_interpretation, events_attendance, events_speakers
)


def coerce(type_: str, data: dict[str, Any]) -> EventData:
    """Validate a domain event's payload against its registered schema."""
    model = REGISTRY.get(type_)
    if model is None:
        raise KeyError(f"event type {type_!r} is not registered")
    return model.model_validate(data)


_MISSING: Any = object()
_PLAIN = (str, bool, int, type(None))  # JSON as they are: no coercion, no rendering


def _is_plain(hint: Any) -> bool:
    """Whether values of ``hint`` are their own JSON dump (no float, datetime, model,
    validator or alias that pydantic would turn into something else)."""
    if hint in _PLAIN:
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return all(isinstance(a, str) for a in args)
    if origin in (Union, types.UnionType, list):
        return all(_is_plain(a) for a in args)
    if origin is dict:
        return args[0] is str and _is_plain(args[1])
    return False


class _Untrusted(Exception):
    """A value ``trusted`` cannot vouch for: validation makes the event."""


def _nested(hint: Any) -> Any:
    """For a field of models of plain fields (a channel, its source and booth), or a
    list of them, or None: a function that makes the field's value from a payload
    value that is exactly such a model's dump (its fields, in their order), raising
    ``_Untrusted`` for anything else; None when ``hint`` is not such a type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        parts = [a for a in args if a is not type(None)]
        if len(parts) != 1 or len(args) != 2:
            return None
        inner = _nested(parts[0])
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if origin is list:
        inner = _nested(args[0])
        if inner is None:
            return None

        def each(v):
            if type(v) is not list:
                raise _Untrusted
            return [inner(x) for x in v]

        return each
    if not (isinstance(hint, type) and issubclass(hint, BaseModel)):
        return None
    if hint.model_config.get("extra") != "forbid":
        return None
    names, makers = [], {}
    for name, info in hint.model_fields.items():
        if info.alias not in (None, name) or info.metadata:
            return None
        if _is_plain(info.annotation):
            names.append(name)
            continue
        inner = _nested(info.annotation)
        if inner is None:
            return None
        names.append(name)
        makers[name] = inner
    keys = tuple(names)

    def make(v):
        if type(v) is not dict or tuple(v) != keys:
            raise _Untrusted
        fields = dict(v)
        for name, inner in makers.items():
            fields[name] = inner(v[name])
        return _instance(hint, fields, set(keys))

    return make


def _instance(model: type[BaseModel], fields: dict, fields_set: set) -> Any:
    """A model instance with these fields, unvalidated (as ``model_construct`` makes
    one, without its per-field work)."""
    ev = model.__new__(model)
    object.__setattr__(ev, "__dict__", fields)
    object.__setattr__(ev, "__pydantic_fields_set__", fields_set)
    object.__setattr__(ev, "__pydantic_extra__", None)
    object.__setattr__(ev, "__pydantic_private__", None)
    return ev


class _Shape:
    """How ``trusted`` builds one schema's events: its fields with their defaults, the
    fields of nested models it builds from their dumps (``nested``), and the fields
    that must be absent or None for the fast path (their values would be rendered)."""

    __slots__ = ("model", "fields", "checked", "nested")

    def __init__(self, model: type[EventData]):
        self.model = model
        fields, checked, nested = [], [], {}
        for name, info in model.model_fields.items():
            if info.alias not in (None, name) or info.default_factory is not None:
                raise TypeError  # not a shape trusted can build
            if not isinstance(info.default, _PLAIN) and not info.is_required():
                raise TypeError
            fields.append((name, _MISSING if info.is_required() else info.default))
            if _is_plain(info.annotation) and not info.metadata:
                continue
            make = None if info.metadata else _nested(info.annotation)
            if make is None:
                checked.append(name)
            else:
                nested[name] = make
        self.fields = tuple(fields)
        self.checked = tuple(checked)
        self.nested = nested


def _shapes() -> dict[str, _Shape]:
    out = {}
    for type_, model in REGISTRY.items():
        try:
            out[type_] = _Shape(model)
        except TypeError:
            continue
    return out


SHAPES = _shapes()


def trusted(type_: str, data: dict[str, Any]) -> tuple[EventData, dict[str, Any]] | None:
    """A domain-made event and its stored payload, unvalidated; None where only
    pydantic makes the payload right (then use ``coerce``)."""
    shape = SHAPES.get(type_)
    if shape is None:
        return None
    for name in shape.checked:
        if data.get(name) is not None:
            return None
    payload = {}
    for name, default in shape.fields:
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                return None  # a required field is missing: let validation say so
            value = default
        payload[name] = value
    typed = dict(payload)
    try:
        for name, make in shape.nested.items():
            typed[name] = make(payload[name])
    except _Untrusted:
        return None
    return _instance(shape.model, typed, set(data)), payload
