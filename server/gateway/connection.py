"""One WebSocket client: what it may see, a bounded outbound queue, its own sender.

A client that falls ``ws_queue_max`` frames behind is closed with 4408 (it comes
back with ``resume_from``); nobody else waits for it."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket, WebSocketState

from ..auth import Caller
from ..models import EventRecord

log = logging.getLogger("convene.gateway")

TOO_SLOW = 4408
BAD_TOKEN = 4401
ENDS_TOKEN = frozenset({"person.removed", "person.token_reissued"})


class Connection:
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
    ):
        self.ws = ws
        self.caller = caller
        self.id = conn_id
        self.person_id = caller.person_id
        self.is_staff = caller.is_staff
        self.room_id = room_id
        self.listening = listening
        self.booths = booths
        self.cursor = 0
        self.queue: asyncio.Queue[str | int] = asyncio.Queue(maxsize=queue_max)
        self.closing = False
        self.close_code: int | None = None
        self._sender: asyncio.Task | None = None

    # ---- audience, judged as of each event ----------------------------------------------
    def sees(self, ev: EventRecord) -> bool:
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
        return False

    def observe(self, ev: EventRecord) -> None:
        """Follow the client's own state changes that decide what it sees next."""
        if self.person_id is None or ev.data.get("person_id") != self.person_id:
            return
        if ev.type == "room.moved":
            self.room_id = ev.data.get("to_room")
        elif ev.type == "listening.changed":
            self.listening = ev.data.get("language")
        elif ev.type in ENDS_TOKEN:
            self.end_after_queue(BAD_TOKEN)

    def end_after_queue(self, code: int) -> None:
        """Close with ``code`` once the frames already queued are sent."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(code)

    # ---- sending --------------------------------------------------------------------------
    def start(self) -> None:
        self._sender = asyncio.create_task(self._send_loop(), name=f"ws-send-{self.id}")

    def push(self, frame: str) -> bool:
        if self.closing:
            return False
        try:
            self.queue.put_nowait(frame)
            return True
        except asyncio.QueueFull:
            self.close_soon(TOO_SLOW, "client too slow: reconnect with resume_from")
            return False

    def close_soon(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self.closing = True
        self.close_code = code
        asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            if self.ws.application_state == WebSocketState.CONNECTED:
                await self.ws.close(code, reason)
        if self._sender:
            self._sender.cancel()

    async def _send_loop(self) -> None:
        try:
            while True:
                frame = await self.queue.get()
                if isinstance(frame, int):
                    self.closing = True
                    self.close_code = frame
                    await self.ws.close(frame)
                    return
                await self.ws.send_text(frame)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket went away: the receive loop ends the connection
            log.debug("send failed: %s", exc)
            self.closing = True

    async def stop(self) -> None:
        self.closing = True
        if self._sender:
            self._sender.cancel()
            with contextlib.suppress(BaseException):
                await self._sender
