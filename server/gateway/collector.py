"""Garbage-collector policy for a process that holds thousands of sockets.

Start-up freezes what it built (server/app.py). A connect storm then adds tens of
thousands of long-lived objects per thousand clients (protocols, parsers, sockets'
state) that every full collection would scan again: once the connection count has
grown and then held for one check, they are frozen too. Frozen objects are never
collected, so cycles left by connections that have since closed would pile up: every
``refresh_s`` everything is unfrozen, collected once and frozen again; a SIGUSR2 does
the same at once and logs it (the benchmarks measure memory per connection after
it, the same way for every server).

Each freeze and collection also gives the C heap's wholly free pages back
(``trim_heap``): the handshakes of a storm leave megabytes free inside glibc's heap
between the connections' long-lived blocks, which RSS counts until trimmed (2,000
connections: 5.8 MB, 2.9 KiB a connection; a FastAPI server's heap gave back
nothing, docs/performance.md)."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import signal
import time
from collections.abc import Callable

log = logging.getLogger("convene.gateway")

CHECK_S = 5.0
GROWTH = 500  # connections more than at the last freeze that make a storm worth freezing
REFRESH_S = 600.0


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _malloc_trim()


def trim_heap() -> bool:
    """Release the C heap's free pages to the system; False where that cannot be done
    (no glibc)."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


class Freezer:
    def __init__(
        self,
        connections: Callable[[], int],
        growth: int = GROWTH,
        refresh_s: float = REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.connections = connections
        self.growth = growth
        self.refresh_s = refresh_s
        self.clock = clock
        self.frozen_at = connections()
        self.last_seen = self.frozen_at
        self.refreshed = clock()

    def check(self) -> str | None:
        """Freeze after a storm that has ended, refresh when due; what it did."""
        now, n = self.clock(), self.connections()
        settled, self.last_seen = n == self.last_seen, n
        if now - self.refreshed >= self.refresh_s:
            self.collect_now()
            return "refreshed"
        if settled and n - self.frozen_at >= self.growth:
            gc.collect(1)  # the storm's short-lived objects go first
            gc.freeze()
            trim_heap()
            self.frozen_at = n
            return "frozen"
        return None

    def collect_now(self) -> int:
        """Unfreeze, collect everything, freeze again: objects found unreachable."""
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        trim_heap()
        self.refreshed, self.frozen_at = self.clock(), self.connections()
        return found

    def on_signal(self) -> None:
        found = self.collect_now()
        log.warning("garbage collected on SIGUSR2: %d unreachable objects", found)

    async def run(self, every_s: float = CHECK_S) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                did = self.check()
            except Exception:
                log.exception("gc policy failed")
                continue
            if did:
                log.info("gc %s at %d connections", did, self.last_seen)


def install(w, connections_of: Callable[[object], Callable[[], int]]) -> None:
    """Run the policy beside the app's other background tasks (``w``: the app's
    ``Wiring``)."""

    async def start(state) -> list[asyncio.Task]:
        freezer = Freezer(connections_of(state))
        tasks = [asyncio.create_task(freezer.run(), name="gc-policy")]
        loop = asyncio.get_running_loop()
        try:  # not where signals cannot be caught (an app off the main thread, in tests)
            loop.add_signal_handler(signal.SIGUSR2, freezer.on_signal)
        except (RuntimeError, ValueError, NotImplementedError):
            return tasks
        return [*tasks, asyncio.create_task(_until_stopped(loop), name="gc-signal")]

    w.starters.append(start)


async def _until_stopped(loop: asyncio.AbstractEventLoop) -> None:
    """Hold the SIGUSR2 handler while the app runs."""
    try:
        await asyncio.Event().wait()
    finally:
        loop.remove_signal_handler(signal.SIGUSR2)
