"""Garbage-collector policy for a process that holds thousands of sockets.

Start-up freezes what it built (server/app.py). A connect storm then adds tens of
thousands of long-lived objects per thousand clients (protocols, parsers, sockets'
state) that every full collection would scan again, and full collections come at each
25 % growth of what is not frozen: during a storm of 5,000 they took about half a
second each. So each time the connection count has grown by ``growth`` since the last
freeze, the hub's attach freezes at once (a young collection first), and a full
collection never scans more than ``growth`` connections' objects. Frozen objects are never
collected, so cycles left by connections that have since closed would pile up: every
``refresh_s`` everything is unfrozen, collected once and frozen again; a SIGUSR2 does
the same at once and logs it (the benchmarks measure memory per connection after
it, the same way for every server).

Each collection, and each storm once its count has held for a check after its
freezes, also gives the C heap's wholly free pages back (``trim_heap``; not at each
freeze inside a storm, ten times for 5,000): the handshakes of a storm leave
megabytes free inside glibc's heap between the connections' long-lived blocks, which
RSS counts until trimmed (2,000 connections: 5.8 MB, 2.9 KiB a connection; a FastAPI
server's heap gave back nothing, docs/performance.md)."""

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
        self.last_seen = self.checked = self.frozen_at
        self.refreshed = clock()
        self.untrimmed = False  # frozen since the heap was last trimmed

    def grew(self) -> bool:
        """After each attach: freeze now if the count grew by ``growth`` since the last
        freeze (counted from the lowest count since, so a storm after closes counts)."""
        n = self.connections()
        self.last_seen = n
        if n < self.frozen_at:
            self.frozen_at = n
        if n - self.frozen_at < self.growth:
            return False
        gc.collect(1)  # the storm's short-lived objects go first
        gc.freeze()
        self.frozen_at = n
        self.untrimmed = True
        return True

    def check(self) -> str | None:
        """Refresh when due, else freeze what grew without an attach seen, else give
        the heap back once the count held for a check after freezes; what it did."""
        if self.clock() - self.refreshed >= self.refresh_s:
            self.collect_now()
            return "refreshed"
        if self.grew():
            return "frozen"
        n = self.last_seen
        settled, self.checked = n == self.checked, n
        if self.untrimmed and settled:  # once a storm is over, not at each freeze in it
            trim_heap()
            self.untrimmed = False
            return "trimmed"
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


def install(w, hub_of: Callable[[object], object], growth: int = GROWTH) -> None:
    """Run the policy beside the app's other background tasks (``w``: the app's
    ``Wiring``), paced by the hub's attaches (``hub_of(state)``: ``connections`` and
    an ``on_attach`` hook)."""

    async def start(state) -> list[asyncio.Task]:
        hub = hub_of(state)
        freezer = Freezer(lambda: hub.connections, growth)
        hub.on_attach = freezer.grew
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
