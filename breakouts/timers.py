"""Timer firings as commands that carry the instant they were due.

A round needs at most one timer at a time: its end (``ends_at``, which starts
the closing countdown) or the end of the countdown (``closes_at``, which
brings everyone back). A firing acts only if the round still waits for that
exact instant, so a duplicate firing, a firing after a restart, or one made
stale by an extension or a manual close does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .events import Event
from .model import Placement, Round, RoundStatus
from .rounds import begin_close, finish_close


class TimerKind(StrEnum):
    END = "breakout.end"  # duration is up: begin the closing countdown
    FINISH = "breakout.finish"  # countdown is up: everyone back to the plenary


@dataclass(frozen=True)
class Timer:
    round_id: str
    kind: TimerKind
    due: datetime

    @property
    def job_id(self) -> str:
        """Stable per round and kind, for ``replace_existing`` scheduling."""
        return f"round:{self.round_id}:{self.kind.value}"


def pending_timer(round_: Round) -> Timer | None:
    """The timer this round waits for now, if any (reschedule after every change)."""
    if round_.status is RoundStatus.OPEN and round_.ends_at is not None:
        return Timer(round_.id, TimerKind.END, round_.ends_at)
    if round_.status is RoundStatus.CLOSING and round_.closes_at is not None:
        return Timer(round_.id, TimerKind.FINISH, round_.closes_at)
    return None


def fire_timer(
    round_: Round, placement: Placement, timer: Timer, *, plenary_id: str, now: datetime
) -> tuple[Round, Placement, list[Event]]:
    """Apply a timer firing; a stale or repeated one returns the same state and no events.

    A late end timer (the process was down) still gives people the full
    countdown from ``now``.
    """
    if pending_timer(round_) != timer:
        return round_, placement, []
    if timer.kind is TimerKind.END:
        closing, events = begin_close(round_, now=now)
        return closing, placement, events
    return finish_close(round_, placement, plenary_id=plenary_id, now=now)
