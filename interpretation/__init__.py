"""Interpretation channels, booths, on-air, handover and relay/retour routing.

Pure domain code: no FastAPI, no database, no ``server`` imports. Every
command is ``(state, ..., now) -> Outcome(new_state, events)``; a rejected one
raises ``InterpretationError`` and changes nothing. Modules:

- ``languages``: codes, ``Direction`` ("en>ar"), ``Interpreter``
- ``sources``: ``compute_sources``, the one routing rule; ``assignment``: who of
  the live interpreters goes where after a floor change; ``hearing``: what a
  person hears
- ``state``: the immutable session state; ``views``: contract-shaped reads
- ``channels``: session, rooms, event languages; ``floor``; ``on_air``;
  ``handover``; ``listening``; ``presence`` (people, moves, dropouts)
- ``accounting``: on-air time, turns, report; ``timers``; ``planning``
  (booths for breakouts); ``coalescer`` (listener counts); ``events``;
  ``commands`` (``apply``); ``serialization``
"""

from .accounting import on_air_seconds, report, turn_due
from .channels import (
    add_language,
    close_room,
    close_rooms,
    configure,
    drop_language,
    new_session,
    open_room,
    open_rooms,
    set_languages,
)
from .coalescer import Coalesced, ListenerCoalescer
from .commands import Command, apply
from .errors import HTTP_STATUS, ErrorKind, InterpretationError
from .floor import set_floor
from .handover import accept_handover, expire_handover, request_handover
from .languages import Direction, Interpreter
from .listening import set_listening
from .on_air import go_off_air, go_on_air
from .outcome import FloorOutcome, Outcome
from .planning import BoothPlan, plan_booths
from .presence import (
    Newcomer,
    add_people,
    add_person,
    connection_changed,
    dropout_due,
    move_people,
    move_person,
)
from .sources import Source, compute_sources
from .state import ChannelKey, SessionInterpretation, Settings
from .timers import Timer, pending_timers
from .views import channels_view, listener_counts, room_view, uncovered_channels

__all__ = [
    "HTTP_STATUS",
    "BoothPlan",
    "ChannelKey",
    "Coalesced",
    "Command",
    "Direction",
    "ErrorKind",
    "FloorOutcome",
    "InterpretationError",
    "Interpreter",
    "ListenerCoalescer",
    "Outcome",
    "SessionInterpretation",
    "Settings",
    "Source",
    "Timer",
    "accept_handover",
    "add_language",
    "Newcomer",
    "add_people",
    "add_person",
    "apply",
    "channels_view",
    "close_room",
    "close_rooms",
    "compute_sources",
    "configure",
    "connection_changed",
    "drop_language",
    "dropout_due",
    "expire_handover",
    "go_off_air",
    "go_on_air",
    "listener_counts",
    "move_people",
    "move_person",
    "new_session",
    "on_air_seconds",
    "open_room",
    "open_rooms",
    "pending_timers",
    "plan_booths",
    "report",
    "request_handover",
    "room_view",
    "set_floor",
    "set_languages",
    "set_listening",
    "turn_due",
    "uncovered_channels",
]
