"""uvicorn's sans-I/O WebSocket protocol, handing itself to the app through the ASGI
scope so that the gateway can write pre-framed bytes straight to the transport.

A frame encoded once per audience variant then costs each recipient one
``transport.write`` instead of Starlette's ``send_text`` and uvicorn's per-client
encode and framing (about 2.6 us against 0.14 us a send)."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "convene.transport"


class Inbox:
    """What uvicorn's protocol asks of its ``asyncio.Queue`` (``put_nowait``, ``get``,
    ``empty``; one reader, the app), without its four deques and an ``Event``: about
    3 KB a connection, for the few messages a client sends."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items


class Flag:
    """``asyncio.Event`` (``set``, ``clear``, ``is_set``, ``wait``) with its waiters'
    list made only while someone waits: the protocol's ``writable`` is set nearly
    always, and an empty deque per connection is about 600 bytes."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        for fut in waiters or ():
            if not fut.done():
                fut.set_result(True)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        if self._set:
            return True
        fut = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(fut)
        try:
            await fut
            return True
        finally:
            if self._waiters is not None and fut in self._waiters:
                self._waiters.remove(fut)


class FastWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()
        # the transport's pause as a plain attribute too: ``writes_now`` is asked for
        # every client of every broadcast, and the flag is one more object to reach
        # (with 1,000 clients, 0.4 of the 1.5 us a client that picking writable
        # transports took)
        self.paused = False

    def pause_writing(self) -> None:
        self.paused = True
        super().pause_writing()

    def resume_writing(self) -> None:
        self.paused = False
        super().resume_writing()

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # the parsed request (about 1.5 KB of header objects) is not read again: the
        # scope holds what the app reads
        self.request = None
        scope = getattr(self, "scope", None)  # absent when the upgrade was refused
        if scope is not None and self.handshake_initiated:
            # a weak reference: the scope must not keep its protocol alive (no cycle)
            scope["extensions"][EXTENSION] = weakref.ref(self)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete:
            self.response = None  # the handshake's response went out: not read again

    def writes_now(self) -> bool:
        """Whether bytes written now go out in order with the ASGI path: handshake
        done, not closing, transport not paused."""
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and not self.paused
            and not self.transport.is_closing()
        )


def protocol_of(ws: Any) -> FastWebSocketProtocol | None:
    """The connection's protocol if it runs under ``FastWebSocketProtocol``."""
    scope = getattr(ws, "scope", None) or {}
    ref = (scope.get("extensions") or {}).get(EXTENSION)
    return ref() if ref is not None else None
