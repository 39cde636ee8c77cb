"""One WebSocket client: what it may see, and a bounded outbound backlog.

Sending costs no task and no queue while the client keeps up: ``push`` runs the ASGI
send at once (uvicorn writes to the transport without suspending unless the transport
asked to pause writing). Only when a send has to wait does the connection start a task
that finishes it and drains the frames that queued up behind it. A client with
``ws_queue_max`` frames or ``ws_queue_bytes`` waiting is closed with 4408 (it comes
back with ``resume_from``); nobody else waits for it."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from ..auth import Caller
from .frames import LogEvent

log = logging.getLogger("convene.gateway")

TOO_SLOW = 4408
QUEUE_BYTES = 8 * 2**20  # settings.ws_queue_bytes
BAD_TOKEN = 4401
ENDS_TOKEN = frozenset({"person.removed", "person.token_reissued"})
# event types that change what their person's connections see next
OBSERVED = frozenset({"room.moved", "listening.changed", *ENDS_TOKEN})


class Connection:
    __slots__ = (
        "ws",
        "id",
        "person_id",
        "is_staff",
        "room_id",
        "listening",
        "booths",
        "cursor",
        "queue_max",
        "queue_bytes",
        "closing",
        "close_code",
        "_backlog",
        "_backlog_bytes",
        "_task",
        "__weakref__",
    )

    def __init__(
        self,
        ws: WebSocket,
        caller: Caller,
        conn_id: str,
        *,
        room_id: str | None,
        listening: str | None,
        booths: frozenset[str],
        queue_max: int,
        queue_bytes: int = QUEUE_BYTES,
    ):
        self.ws = ws
        self.id = conn_id
        self.person_id = caller.person_id
        self.is_staff = caller.is_staff
        self.room_id = room_id
        self.listening = listening
        self.booths = booths
        self.cursor = 0
        self.queue_max = queue_max
        self.queue_bytes = queue_bytes
        self.closing = False
        self.close_code: int | None = None
        # frames (str) and a deferred close code (int) waiting behind a stalled send
        self._backlog: collections.deque[str | int] | None = None
        self._backlog_bytes = 0  # characters of the frames in the backlog
        self._task: asyncio.Task | None = None

    # ---- audience, judged as of each event (replay; live fan-out uses the feed's buckets)
    def sees(self, ev: LogEvent) -> bool:
        for target in ev.audience:
            if target == "session":
                return True
            kind, _, rest = target.partition(":")
            if kind == "moderators":
                if self.is_staff:
                    return True
            elif kind == "room":
                if self.is_staff or rest == self.room_id:
                    return True
            elif kind == "person":
                if rest == self.person_id:
                    return True
            elif kind == "channel":
                room, _, lang = rest.partition(":")
                if self.is_staff or (room == self.room_id and lang in self.booths):
                    return True
            elif kind == "interpreters":  # the room's interpreters and the staff
                if self.is_staff or (rest == self.room_id and self.booths):
                    return True
            elif kind == "booth":  # a booth's private chat: its interpreters only
                room, _, lang = rest.partition(":")
                if room == self.room_id and lang in self.booths and not self.is_staff:
                    return True
        return False

    def observe(self, ev: LogEvent) -> None:
        """Follow the client's own state changes that decide what it sees next."""
        if self.person_id is None or ev.data.get("person_id") != self.person_id:
            return
        if ev.type == "room.moved":
            self.room_id = ev.data.get("to_room")
        elif ev.type == "listening.changed":
            self.listening = ev.data.get("language")
        elif ev.type in ENDS_TOKEN:
            self.end_after_queue(BAD_TOKEN)

    # ---- sending --------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Frames not yet handed to the transport (the stalled one included)."""
        if self._task is None:
            return 0
        return 1 + (len(self._backlog) if self._backlog else 0)

    def push(self, frame: str) -> bool:
        """Send ``frame`` now, or queue it behind a stalled send; False if the client is
        closing or was just closed for falling too far behind."""
        if self.closing:
            return False
        if self._task is not None:
            backlog = self._backlog
            size = self._backlog_bytes + len(frame)
            if len(backlog) + 1 >= self.queue_max or size > self.queue_bytes:
                self.close_soon(TOO_SLOW, "client too slow: reconnect with resume_from")
                return False
            backlog.append(frame)
            self._backlog_bytes = size
            return True
        self._run(self.ws.send_text(frame))
        return True

    def end_after_queue(self, code: int) -> None:
        """Close with ``code`` once the frames already queued are sent."""
        if self.closing:
            return
        if self._task is not None:
            self._backlog.append(code)
            return
        self.closing = True
        self.close_code = code
        self._run(self.ws.close(code))

    def _run(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run an ASGI send until it completes or has to wait."""
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except Exception as exc:  # the socket went away: the receive loop ends the connection
            log.debug("send failed: %s", exc)
            self.closing = True
            return
        self._stall(coro, waiting)

    def _stall(self, coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
        if self._backlog is None:
            self._backlog = collections.deque()
        self._task = asyncio.get_running_loop().create_task(self._drain(coro, waiting))

    async def _drain(self, coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
        try:
            await _finish(coro, waiting)
            backlog = self._backlog
            while backlog:
                item = backlog.popleft()
                if isinstance(item, int):
                    self.closing = True
                    self.close_code = item
                    await self.ws.close(item)
                    return
                self._backlog_bytes -= len(item)
                await self.ws.send_text(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("send failed: %s", exc)
            self.closing = True
        finally:
            self._task = None

    def close_soon(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self.closing = True
        self.close_code = code
        asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        self._abandon()
        with contextlib.suppress(Exception):
            if self.ws.application_state == WebSocketState.CONNECTED:
                await self.ws.close(code, reason)

    def _abandon(self) -> None:
        """Drop whatever is still waiting to be sent."""
        if self._backlog:
            self._backlog.clear()
        self._backlog_bytes = 0
        if self._task is not None:
            self._task.cancel()

    async def stop(self) -> None:
        self.closing = True
        task = self._task
        self._abandon()
        if task is not None:
            with contextlib.suppress(BaseException):
                await task


async def _finish(coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
    """Drive a coroutine that ``Connection._run`` started by hand to its end: wait for
    what it waits on, then resume it. (It cannot be awaited: it is suspended inside an
    ``await`` of its own, and Python refuses a second one.)"""
    try:
        while True:
            if asyncio.isfuture(waiting):
                await asyncio.wait([waiting])  # done or failed: the coroutine reads which
            else:  # a bare yield (sleep(0)): resume on the next iteration
                await asyncio.sleep(0)
            try:
                waiting = coro.send(None)
            except StopIteration:
                return
    finally:
        coro.close()
