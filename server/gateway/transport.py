"""uvicorn's sans-I/O WebSocket protocol, handing itself to the app through the ASGI
scope so that the gateway can write pre-framed bytes straight to the transport.

A frame encoded once per audience variant then costs each recipient one
``transport.write`` instead of Starlette's ``send_text`` and uvicorn's per-client
encode and framing (about 2.6 us against 0.14 us a send)."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import weakref
from typing import Any

from uvicorn.logging import TRACE_LOG_LEVEL
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol

from ..logs import QuietSockets

EXTENSION = "convene.transport"

_date: tuple[int, str] = (0, "")


def http_date() -> str:
    """``email.utils.formatdate(usegmt=True)``, formatted once a second (as uvicorn
    does for its own ``date`` header) instead of once a handshake."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, email.utils.formatdate(now, usegmt=True))
    return _date[1]


class Handshake(ServerProtocol):
    """websockets' server side with its accepting response built as websockets builds
    it, but with the ``Date`` of this second instead of one formatted per handshake
    (uvicorn then replaces it with its own ``date`` header anyway). A request it refuses
    gets websockets' own answer."""

    def accept(self, request: Request) -> Response:
        self.accept_called = True
        try:
            accept_header, extensions_header, protocol_header = self.process_request(request)
        except Exception:
            return super().accept(request)  # the refusal, worded and logged by websockets
        headers = Headers()
        headers["Date"] = http_date()
        headers["Upgrade"] = "websocket"
        headers["Connection"] = "Upgrade"
        headers["Sec-WebSocket-Accept"] = accept_header
        if extensions_header is not None:
            headers["Sec-WebSocket-Extensions"] = extensions_header
        if protocol_header is not None:
            headers["Sec-WebSocket-Protocol"] = protocol_header
        return Response(101, "Switching Protocols", headers)


class SocketLog(logging.LoggerAdapter):
    """uvicorn's logger as websockets uses it, dropping websockets' "connection open"
    and "connection closed" before a record is made where ``QuietSockets`` would drop
    them after (the same condition: its filter on the logger, the root above DEBUG).
    Two records a socket, made, filtered out and thrown away, were a few microseconds
    of each handshake's CPU."""

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if msg in QuietSockets.NOISE and _quiet(self.logger):
            return
        kwargs.setdefault("stacklevel", 2)  # the caller is websockets, not this adapter
        super().info(msg, *args, **kwargs)


def _quiet(logger: logging.Logger) -> bool:
    return logging.getLogger().level > logging.DEBUG and any(
        isinstance(f, QuietSockets) for f in logger.filters
    )


_SOCKET_LOG = SocketLog(logging.getLogger("uvicorn.error"))


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
    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        # uvicorn 0.54's ``__init__``, line for line, except what it would make only for
        # this class to replace: its ``asyncio.Queue`` and ``Event`` (``Inbox`` and
        # ``Flag`` instead) and websockets' ``ServerProtocol`` (``Handshake`` instead).
        # tests/unit/test_transport_handshake.py compares every attribute with
        # uvicorn's own, so a uvicorn that sets another one fails there.
        if not config.loaded:
            config.load()
        self.config = config
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.logger = logging.getLogger("uvicorn.error")
        self.root_path = config.root_path
        self.asgi_version = config.asgi_version
        self.app_state = app_state
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.default_headers = server_state.default_headers
        self.transport = None  # type: ignore[assignment]
        self.server = None
        self.client = None
        self.scheme = None  # type: ignore[assignment]
        self.queue = Inbox()  # type: ignore[assignment]
        self.handshake_initiated = False
        self.handshake_complete = False
        self.close_sent = False
        self.disconnected = False
        self.close_timer = None
        self.close_timeout = 10.0
        self.initial_response = None
        if config.ws_per_message_deflate:
            extensions = [
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=12,
                    client_max_window_bits=12,
                    compress_settings={"memLevel": 5},
                )
            ]
        else:
            extensions = []
        self.conn = Handshake(
            extensions=extensions, max_size=config.ws_max_size, logger=_SOCKET_LOG
        )
        self.read_paused = False
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()
        self.ping_interval = config.ws_ping_interval
        self.ping_timeout = config.ws_ping_timeout
        self.ping_timer = None
        self.pong_timer = None
        self.pending_ping_payload = None
        self.ping_sent_at = 0.0
        self.last_ping_rtt = 0.0
        self.frames = []
        self.curr_msg_data_type = "bytes"
        # the transport's pause as a plain attribute too: ``writes_now`` is asked for
        # every client of every broadcast, and the flag is one more object to reach
        # (with 1,000 clients, 0.4 of the 1.5 us a client that picking writable
        # transports took)
        self.paused = False

    def connection_made(self, transport: Any) -> None:
        """As uvicorn's, but with the addresses and scheme uvicorn's HTTP protocol read
        from this transport a moment ago (it is still the transport's protocol while the
        upgrade hands over): two system calls and a socket object fewer a handshake; and
        that protocol let go of."""
        http = transport.get_protocol()
        scheme = getattr(http, "scheme", None)
        if getattr(http, "transport", None) is not transport or scheme not in ("http", "https"):
            super().connection_made(transport)
            return
        self.connections.add(self)
        self.transport = transport
        self.server = http.server
        self.client = http.client
        self.scheme = "wss" if scheme == "https" else "ws"
        # The HTTP protocol is done once it hands over (it only hands the transport its
        # successor after this), but it and its parser hold each other (the parser keeps
        # its bound callbacks): each upgraded socket left that cycle, a dozen objects
        # and the request's headers, to the garbage collector. Without its parser it is
        # freed as the upgrade returns.
        http.parser = None
        if self.logger.level <= TRACE_LOG_LEVEL:
            prefix = f"{self.client[0]}:{self.client[1]} - " if self.client else ""
            self.logger.log(TRACE_LOG_LEVEL, "%sWebSocket connection made", prefix)

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
