"""Group commit: requests for one session that arrive while its previous batch is
being stored are stored together in the next one.

A reconnect storm (a process killed, 2,000 clients coming back to this one) is then a
few dozen transactions, not 2,000 transactions queued one behind the other on the
session's lock. A lone request goes at once; only while a session's batches follow
each other closely (a storm) does the next one linger a few milliseconds to gather
more, since a transaction costs about the same for one arrival as for fifty.

Nothing is kept for a session once it is quiet: its queue goes with its last batch,
and when its last batch finished is only remembered while that still counts as busy."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Batcher(Generic[T]):
    """``store(session_id, items)`` runs once per batch; each caller's ``submit``
    returns when its batch is stored, or raises what storing it raised."""

    def __init__(
        self,
        store: Callable[[str, list[T]], Awaitable[None]],
        max_batch: int = 500,
        linger_s: float = 0.005,
        busy_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.max_batch = max_batch
        self.linger_s = linger_s  # how long a batch gathers while the session is busy
        self.busy_s = busy_s  # a batch this soon after the previous one means busy
        self._waiting: dict[str, list[tuple[T, asyncio.Future]]] = {}
        self._draining: dict[str, asyncio.Task] = {}
        self._last_done: dict[str, float] = {}  # oldest first (see ``_done``)
        self._clock = clock

    async def submit(self, session_id: str, item: T) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(session_id, []).append((item, fut))
        if session_id not in self._draining:
            self._draining[session_id] = asyncio.create_task(self._drain(session_id))
        await asyncio.shield(fut)  # a caller that goes away does not cancel the batch

    async def _drain(self, session_id: str) -> None:
        try:
            while self._waiting.get(session_id):
                busy = self._clock() - self._last_done.get(session_id, -1e9) < self.busy_s
                if busy and len(self._waiting[session_id]) < self.max_batch:
                    await asyncio.sleep(self.linger_s)
                queue = self._waiting[session_id]
                batch, self._waiting[session_id] = (
                    queue[: self.max_batch],
                    queue[self.max_batch :],
                )
                try:
                    await self.store(session_id, [item for item, _ in batch])
                except Exception as exc:  # every caller of this batch sees the failure
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                else:
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_result(None)
                self._done(session_id)
        finally:
            self._waiting.pop(session_id, None)
            self._draining.pop(session_id, None)

    def _done(self, session_id: str) -> None:
        """Note when ``session_id``'s batch finished, and forget sessions whose last
        batch is too long ago to count as busy (kept in finishing order, so only
        the oldest entries are looked at)."""
        now = self._clock()
        last = self._last_done
        last.pop(session_id, None)
        last[session_id] = now
        for sid in list(itertools.takewhile(lambda s: now - last[s] >= self.busy_s, last)):
            del last[sid]
