"""One WebSocket client: what it may see, and a bounded outbound backlog.

Frames arrive complete (header and payload, framed once per audience variant). While
the client keeps up they are written straight to its transport: no task, no queue,
no per-client encoding. Once its transport pauses, frames wait in a backlog that one
task writes out as the transport resumes; every later frame queues behind them, so
one connection's frames stay in seq order whichever path they take. A client with
``ws_queue_max`` frames waiting, or more than ``ws_queue_bytes`` in its backlog and
its transport's buffer together, is closed with 4408 (it comes back with
``resume_from``); nobody else waits for it. Without ``FastWebSocketProtocol`` (another
server) frames go through the ASGI send."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from ..auth import Caller
from .frames import LogEvent, payload_of
from .transport import FastWebSocketProtocol, protocol_of

log = logging.getLogger("convene.gateway")

TOO_SLOW = 4408
QUEUE_BYTES = 8 * 2**20  # settings.ws_queue_bytes
BAD_TOKEN = 4401
ENDS_TOKEN = frozenset({"person.removed", "person.token_reissued"})
# event types that change what their person's connections see next
OBSERVED = frozenset({"room.moved", "listening.changed", "person.updated", *ENDS_TOKEN})


def booths_of(interprets) -> frozenset[str]:
    """The languages a person interprets into: the booths whose frames they get."""
    return frozenset(d.partition(">")[2] for d in interprets or ())


_NONE: frozenset[str] = frozenset()


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
        "_proto",
        "_out",
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
        # frames and a deferred close code (int) waiting behind a stalled send
        self._backlog: collections.deque[bytes | int] | None = None
        self._backlog_bytes = 0  # bytes of the frames in the backlog
        self._task: asyncio.Task | None = None
        self._proto = protocol_of(ws)  # None: every frame goes through the ASGI send
        self._out: list[bytes] | None = None  # frames of one pull, written together

    @property
    def protocol(self) -> FastWebSocketProtocol | None:
        """The protocol frames are written through, if on the fast send path."""
        return self._proto

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
        elif ev.type == "person.updated" and not self.is_staff:
            role = ev.data.get("role")
            self.booths = booths_of(ev.data.get("interprets")) if role == "interpreter" else _NONE
        elif ev.type in ENDS_TOKEN:
            self.end_after_queue(BAD_TOKEN)

    # ---- sending --------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Frames not yet handed to the transport (the stalled one included)."""
        if self._task is None:
            return 0
        return 1 + (len(self._backlog) if self._backlog else 0)

    def push(self, frame: bytes) -> bool:
        """Send the complete frame ``frame`` now, or queue it behind the frames that
        wait; False if the client is closing or was just closed for falling too far
        behind."""
        if self.closing:
            return False
        if self._task is not None:
            backlog = self._backlog
            size = self._backlog_bytes + len(frame)
            if len(backlog) + 1 >= self.queue_max or size + self.buffered > self.queue_bytes:
                self.close_soon(TOO_SLOW, "client too slow: reconnect with resume_from")
                return False
            backlog.append(frame)
            self._backlog_bytes = size
            return True
        proto = self._proto
        if proto is None:
            self._run(self.ws.send_text(payload_of(frame).decode()))
        elif proto.writes_now():
            transport = proto.transport
            transport.write(frame)
            if transport.get_write_buffer_size() > self.queue_bytes:
                self.close_soon(TOO_SLOW, "client too slow: reconnect with resume_from")
        elif proto.close_sent or proto.disconnected or proto.transport.is_closing():
            self.closing = True  # going away: the receive loop ends the connection
            return False
        else:  # paused: this frame and the ones after it wait for the transport
            self._backlog = collections.deque((frame,))
            self._backlog_bytes = len(frame)
            self._task = asyncio.get_running_loop().create_task(self._write_when_resumed())
        return True

    def add(self, frame: bytes) -> bool:
        """Hold ``frame`` for ``flush``; True for the first frame held (the caller
        remembers to flush this connection)."""
        out = self._out
        if out is None:
            self._out = [frame]
            return True
        out.append(frame)
        return False

    def flush(self) -> None:
        """Send the frames held by ``add`` as one write."""
        out, self._out = self._out, None
        if out:
            send(tuple(out), (self,))

    @property
    def buffered(self) -> int:
        """Bytes the transport holds that the kernel has not taken yet."""
        proto = self._proto
        if proto is None or proto.transport is None:
            return 0
        return proto.transport.get_write_buffer_size()

    async def _write_when_resumed(self) -> None:
        """Write the backlog out as the transport takes writes again."""
        proto, backlog = self._proto, self._backlog
        with self._sending():
            while backlog:
                await proto.writable.wait()
                if not proto.writes_now():
                    self.closing = True
                    return
                frame = await self._next_queued()
                if frame is None:
                    return
                proto.transport.write(frame)

    async def _next_queued(self) -> bytes | None:
        """The next queued frame, or None where the queue ends with a close code (sent)."""
        item = self._backlog.popleft()
        if isinstance(item, int):
            self._closing_with(item)
            await self.ws.close(item)
            return None
        self._backlog_bytes -= len(item)
        return item

    @contextlib.contextmanager
    def _sending(self) -> Iterator[None]:
        """Around a background send: a failed send ends the connection, not the loop."""
        try:
            yield
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("send failed: %s", exc)
            self.closing = True
        finally:
            self._task = None

    def _closing_with(self, code: int) -> None:
        self.closing = True
        self.close_code = code

    def end_after_queue(self, code: int) -> None:
        """Close with ``code`` once the frames already queued are sent."""
        self.flush()
        if self.closing:
            return
        if self._task is not None:
            self._backlog.append(code)
            return
        self._closing_with(code)
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
        with self._sending():
            await _finish(coro, waiting)
            backlog = self._backlog
            while backlog:
                frame = await self._next_queued()
                if frame is None:
                    return
                await self.ws.send_text(payload_of(frame).decode())

    def close_soon(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self._closing_with(code)
        asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        self._abandon()
        with contextlib.suppress(Exception):
            if self.ws.application_state == WebSocketState.CONNECTED:
                await self.ws.close(code, reason)

    def _abandon(self) -> None:
        """Drop whatever is still waiting to be sent."""
        self._out = None
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


def hold(frame: bytes, conns: Iterable[Connection], held: list[Connection]) -> int:
    """``Connection.add`` of ``frame`` for each of ``conns`` that is not closing;
    returns how many took it. ``held`` gets those whose first frame it is."""
    n = 0
    for conn in conns:
        if conn.closing:
            continue
        if conn.add(frame):
            held.append(conn)
        n += 1
    return n


def flush_all(conns: Iterable[Connection]) -> None:
    """``Connection.flush`` of each of ``conns``: those holding the same frames share
    one join and one ``send``. The same frames are the same objects (one encode per
    event and variant), so they are told apart by identity: hashing their bytes was
    2 MB an opening (the rooms' 16 kB variants, the moderators' 1,200 frames). A
    connection alone with its frames (after an opening, each one holds its own
    ``room.moved``) is written to here, as ``send`` would, without the call and its
    lists; each write follows its join, while the joined bytes are still in cache
    (all joins first: 16 MB of fresh pages)."""
    same: dict[tuple[int, ...], tuple[list[bytes], list[Connection]]] = {}
    for conn in conns:
        out = conn._out
        if out:
            conn._out = None
            key = tuple(map(id, out))  # ``out`` stays alive in ``same``: ids are unique
            had = same.get(key)
            if had is None:
                same[key] = (out, [conn])
            else:
                had[1].append(conn)
    for out, group in same.values():
        if len(group) > 1:
            send(tuple(out), group)
            continue
        conn = group[0]
        proto = conn._proto
        if conn._task is None and proto is not None and not conn.closing and proto.writes_now():
            transport = proto.transport
            transport.write(out[0] if len(out) == 1 else b"".join(out))
            left = transport.get_write_buffer_size()
            if left and left > conn.queue_bytes:
                conn.close_soon(TOO_SLOW, "client too slow: reconnect with resume_from")
        else:
            send(tuple(out), group)


def send(frames: tuple[bytes, ...], conns: Iterable[Connection]) -> int:
    """Send ``frames`` to each of ``conns`` as one write; returns to how many. The
    transports that take writes now are picked first, then written to in a loop of
    nothing but the writes (as the raw floor's), touching no other object unless a
    transport is left holding bytes (the 4408 bound). Any other connection (paused,
    backlog waiting, closing, ASGI send) goes through ``Connection.push``."""
    data = frames[0] if len(frames) == 1 else b"".join(frames)
    ready: list[Connection] = []
    transports = []
    n = 0
    for conn in conns:
        proto = conn._proto
        if conn._task is None and proto is not None and not conn.closing and proto.writes_now():
            ready.append(conn)
            transports.append(proto.transport)
        elif proto is None:  # the ASGI send takes one frame at a time
            for frame in frames:
                took = conn.push(frame)
            n += took
        else:
            n += conn.push(data)
    for transport, conn in zip(transports, ready, strict=True):
        transport.write(data)
        left = transport.get_write_buffer_size()
        if left and left > conn.queue_bytes:
            conn.close_soon(TOO_SLOW, "client too slow: reconnect with resume_from")
    return n + len(ready)


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
