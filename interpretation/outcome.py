"""What every transition returns."""

from __future__ import annotations

from typing import NamedTuple

from .events import Event
from .state import SessionInterpretation


class Outcome(NamedTuple):
    """``(new_state, events)``; events in the order the server should store them."""

    state: SessionInterpretation
    events: list[Event]


class FloorOutcome(NamedTuple):
    """``set_floor`` also says which channels of the room have no source now."""

    state: SessionInterpretation
    events: list[Event]
    uncovered: list[str]
