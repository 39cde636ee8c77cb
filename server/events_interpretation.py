"""Typed schemas of the interpretation events, derived from the dataclasses
``interpretation`` emits (each is validated here before it is stored)."""

from __future__ import annotations

import interpretation.events as ip
from interpretation.views import ChannelView

from .events import ChannelObject, EventData, derived

# fields only the server adds: what the person heard before a listening change
ADDED = {"listening.changed": {"previous": (str | None, None)}}

SCHEMAS: tuple[type[EventData], ...] = tuple(
    derived(domain, {ChannelView: ChannelObject}, **ADDED.get(type_, {}))
    for type_, domain in ip.EVENT_TYPES.items()
)
HandoverRequested = next(m for m in SCHEMAS if m.type == "handover.requested")
