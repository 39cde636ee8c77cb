"""The timers a state calls for, with stable job ids.

After storing a new state the server (re)schedules every ``pending_timers``
entry with ``replace_existing=True`` and drops jobs no longer listed; a job
applies ``timer.command`` at its instant. The commands are idempotent, so a
job that fires twice, late or after its cause went away does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from .commands import Command, DropoutDue, ExpireHandover, TurnCheck
from .state import SessionInterpretation

TimerKind = Literal["handover_expiry", "dropout", "turn"]


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    job_id: str
    due: datetime
    command: Command


def pending_timers(state: SessionInterpretation) -> list[Timer]:
    timers = [
        Timer(
            "handover_expiry",
            f"handover:{req.room_id}:{req.language}",
            req.expires_at,
            ExpireHandover(req.room_id, req.language, req.request_id),
        )
        for req in state.handovers.values()
    ]
    timers += [
        Timer("dropout", f"dropout:{d.person_id}", d.due, DropoutDue(d.person_id, d.due))
        for d in state.dropouts.values()
    ]
    turn_s = state.settings.turn_s
    if turn_s > 0:
        for ch in state.channels.values():
            if ch.live is not None:
                due = ch.live.turn_since + timedelta(seconds=turn_s * (ch.live.turns_due + 1))
                timers.append(Timer("turn", f"turn:{ch.room_id}:{ch.language}", due, TurnCheck()))
    return sorted(timers, key=lambda t: (t.due, t.job_id))
