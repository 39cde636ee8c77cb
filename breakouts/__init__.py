"""Breakout rounds, rooms, assignment strategies and moves as pure domain code.

No FastAPI, no database, no ``server`` imports: functions take state and return
new state plus events; the server does all I/O.
"""

from .assignment_csv import parse_assignment_csv
from .errors import BreakoutError, CsvAssignmentError, ErrorKind
from .events import EVENT_TYPES, Event
from .late_joiners import arrive, join_late, place_late_joiner
from .model import (
    Assignment,
    Member,
    Placement,
    Role,
    RoomDraft,
    RoomSpec,
    Round,
    RoundStatus,
    Strategy,
    Unplaced,
)
from .moves import move
from .planning import apply_plan, plan_exchange, plan_move
from .rounds import (
    begin_close,
    cancel_close,
    cancel_round,
    create_round,
    extend_round,
    finish_close,
    open_round,
    recreate_round,
)
from .strategies import assign
from .timers import Timer, TimerKind, fire_timer, pending_timer
from .transitions import TRANSITIONS, Action
from .views import round_view

__all__ = [
    "EVENT_TYPES",
    "TRANSITIONS",
    "Action",
    "Assignment",
    "BreakoutError",
    "CsvAssignmentError",
    "ErrorKind",
    "Event",
    "Member",
    "Placement",
    "Role",
    "RoomDraft",
    "RoomSpec",
    "Round",
    "RoundStatus",
    "Strategy",
    "Timer",
    "TimerKind",
    "Unplaced",
    "apply_plan",
    "assign",
    "begin_close",
    "cancel_close",
    "cancel_round",
    "create_round",
    "extend_round",
    "fire_timer",
    "finish_close",
    "arrive",
    "join_late",
    "move",
    "open_round",
    "parse_assignment_csv",
    "pending_timer",
    "place_late_joiner",
    "plan_exchange",
    "plan_move",
    "recreate_round",
    "round_view",
]
