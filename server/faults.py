"""Test-only fault points: ``CONVENE_TEST_FAULTS=import.mid`` makes the process kill
itself (SIGKILL, as ``kill -9``) when it reaches that point, so a crash test is
deterministic instead of racing a timer. Unset (always, outside tests), nothing
happens."""

from __future__ import annotations

import os
import signal

ENV = "CONVENE_TEST_FAULTS"


def crash_here(point: str) -> None:
    armed = os.environ.get(ENV)
    if armed and point in armed.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
