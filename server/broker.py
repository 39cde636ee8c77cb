"""The broker only wakes gateways: it carries (session_id, seq), never the events.

Delivery reads the event log, so a lost wake-up costs at most one poll interval.
Contract (tests/integration/test_broker.py runs it against every backend):

- ``start(handler)`` subscribes; a later ``publish(session, seq)`` from any process on
  the same broker and prefix calls ``handler(session, seq)``;
- a broker with another prefix never hears it;
- after the connection to the backend came back, ``handler("*", 0)`` tells every feed
  to catch up from the log; ``reconnects`` counts those;
- while the backend is away ``degraded`` is true and the service keeps serving from
  its own process (the hub polls the log)."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable

Handler = Callable[[str, int], None]
EVERYTHING = "*"


class Broker(ABC):
    degraded: bool = False
    reconnects: int = 0

    @abstractmethod
    async def start(self, handler: Handler) -> None: ...

    @abstractmethod
    async def publish(self, session_id: str, seq: int) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...


class MemoryBroker(Broker):
    """One process: publishing calls the handler on the next loop iteration."""

    def __init__(self) -> None:
        self._handler: Handler | None = None

    async def start(self, handler: Handler) -> None:
        self._handler = handler

    async def publish(self, session_id: str, seq: int) -> None:
        if self._handler is not None:
            asyncio.get_running_loop().call_soon(self._handler, session_id, seq)

    async def stop(self) -> None:
        self._handler = None
