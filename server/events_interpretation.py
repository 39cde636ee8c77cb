"""Typed schemas of the interpretation events, derived from the dataclasses
``interpretation`` emits (each is validated here before it is stored)."""

from __future__ import annotations

import interpretation.events as ip
from interpretation.views import ChannelView

from .events import ChannelObject, EventData, derived

NESTED = {ChannelView: ChannelObject}

ChannelUpdated = derived(ip.ChannelUpdated, NESTED)
FloorLanguage = derived(ip.FloorLanguage)
HandoverRequested = derived(ip.HandoverRequested)
HandoverCompleted = derived(ip.HandoverCompleted)
HandoverExpired = derived(ip.HandoverExpired)
HandoverCancelled = derived(ip.HandoverCancelled)
ChannelUncovered = derived(ip.ChannelUncovered)
# previous: what the person heard before (the server adds it)
ListeningChanged = derived(ip.ListeningChanged, previous=(str | None, None))
ListenersChanged = derived(ip.ListenersChanged)
TurnDue = derived(ip.TurnDue)


SCHEMAS: tuple[type[EventData], ...] = (
    ChannelUpdated,
    FloorLanguage,
    HandoverRequested,
    HandoverCompleted,
    HandoverExpired,
    HandoverCancelled,
    ChannelUncovered,
    ListeningChanged,
    ListenersChanged,
    TurnDue,
)
