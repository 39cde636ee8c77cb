"""The handshake through ``FastWebSocketProtocol`` costs less than through uvicorn's
own protocol (no ``Date`` formatted per handshake, the addresses the HTTP protocol
read reused, no queue and event made only to be replaced, websockets' "connection
open" dropped before a record is made) and is the same to a client, to the app and
in the log: each fast part is compared here with the general one."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import socket
import time

import pytest
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.datastructures import Headers
from websockets.http11 import Request
from websockets.server import ServerProtocol

from server.gateway import transport as tr
from server.gateway.transport import FastWebSocketProtocol, Flag, Handshake, Inbox, http_date
from server.logs import QuietSockets, configure

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
DATE = b"Sun, 06 Dec 2026 15:00:00 GMT"


def _request(method="GET", path="/ws/sessions/s1?token=t", protocol="HTTP/1.1", **extra):
    headers = Headers()
    headers["Host"] = "127.0.0.1:8000"
    base = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY,
        "Sec-WebSocket-Version": "13",
    }
    for name, value in {**base, **extra}.items():
        if value is not None:
            headers[name.replace("_", "-")] = value
    req = Request(path, headers)
    req.method, req.protocol = method, protocol  # what websockets' parser would refuse
    return req


REQUESTS = [
    _request(),
    _request(Connection="keep-alive, Upgrade", Upgrade="WebSocket"),
    _request(**{"Sec-WebSocket-Protocol": "chat, superchat"}),
    _request(**{"Sec-WebSocket-Extensions": "permessage-deflate"}),
    _request(Origin="https://example.org"),
    _request(Connection="keep-alive"),  # refused: no upgrade
    _request(Upgrade="h2c"),
    _request(**{"Sec-WebSocket-Key": "short"}),
    _request(**{"Sec-WebSocket-Key": None}),
    _request(**{"Sec-WebSocket-Version": "8"}),
    _request(method="POST"),
    _request(protocol="HTTP/1.0"),
]


@pytest.mark.parametrize("req", REQUESTS, ids=range(len(REQUESTS)))
def test_the_accepting_response_is_websockets_own_with_this_seconds_date(req):
    ours, theirs = Handshake(max_size=2**20), ServerProtocol(max_size=2**20)
    before = int(time.time())
    mine, general = ours.accept(req), theirs.accept(req)
    after = int(time.time())
    assert (mine.status_code, mine.reason_phrase, mine.body) == (
        general.status_code,
        general.reason_phrase,
        general.body,
    )
    assert [k for k, _ in mine.headers.raw_items()] == [k for k, _ in general.headers.raw_items()]
    assert {k: v for k, v in mine.headers.raw_items() if k != "Date"} == {
        k: v for k, v in general.headers.raw_items() if k != "Date"
    }
    dates = {email.utils.formatdate(t, usegmt=True) for t in range(before, after + 1)}
    assert mine.headers["Date"] in dates
    assert (ours.accept_called, ours.handshake_exc is None) == (True, theirs.handshake_exc is None)
    assert (ours.origin, ours.extensions, ours.subprotocol) == (
        theirs.origin,
        theirs.extensions,
        theirs.subprotocol,
    )


def test_http_date_is_formatdate_of_this_second(monkeypatch):
    for t in (1_796_000_000.2, 1_796_000_000.9, 1_796_000_001.0, 1_796_086_400.5):
        monkeypatch.setattr(tr.time, "time", lambda t=t: t)
        assert http_date() == email.utils.formatdate(t, usegmt=True)
        assert http_date() == email.utils.formatdate(int(t), usegmt=True)


# -- a whole handshake through uvicorn's HTTP protocol, against uvicorn's own ------------


class _Transport:
    """What uvicorn's protocols ask of a transport, over a real TCP socket (so that
    the addresses are read the way uvicorn reads them)."""

    def __init__(self, sock: socket.socket):
        self.sock, self.protocol, self.out = sock, None, bytearray()
        # called by uvicorn only (attributes: vulture sees no caller of a method here)
        self.set_protocol = lambda protocol: setattr(self, "protocol", protocol)
        self.pause_reading = self.resume_reading = lambda: None

    def get_extra_info(self, name, default=None):
        return {"socket": self.sock}.get(name, default)

    def get_protocol(self):
        return self.protocol

    def write(self, data):
        self.out += data

    def is_closing(self):
        return False

    def close(self):
        pass

    def get_write_buffer_size(self):
        return 0


RAW = (
    b"GET /ws/sessions/abc?token=Zk9_s3cr3t&resume_from=4 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
    b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY.encode() + b"\r\n"
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: convene\r\nOrigin: http://x\r\n\r\n"
)


async def _handshake(ws_class, raw=RAW, subprotocol=None):
    scopes = []

    async def app(scope, receive, send):
        scopes.append(scope)
        await receive()
        await send({"type": "websocket.accept", "subprotocol": subprotocol})
        await send({"type": "websocket.send", "text": '{"type":"snapshot"}'})
        await send({"type": "websocket.close", "code": 4401, "reason": "bye"})

    config = Config(app=app, ws=ws_class, http="httptools", log_config=None, lifespan="off")
    config.load()
    state = ServerState()
    state.default_headers = [(b"date", DATE), (b"server", b"uvicorn")]
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    sock, _ = listener.accept()
    try:
        t = _Transport(sock)
        http = HttpToolsProtocol(config=config, server_state=state, app_state={"k": 1})
        t.protocol = http
        http.connection_made(t)
        http.data_received(raw)
        ws = t.protocol
        for _ in range(20):
            await asyncio.sleep(0)
        if ws.close_timer is not None:
            ws.close_timer.cancel()
        addrs = (sock.getsockname(), sock.getpeername())
        return bytes(t.out), (scopes or [None])[0], ws, addrs
    finally:
        for s in (client, sock, listener):
            s.close()


@pytest.mark.parametrize("subprotocol", [None, "convene"])
async def test_a_handshake_writes_the_same_bytes_and_scope_as_uvicorns_protocol(subprotocol):
    fast, fast_scope, proto, (local, peer) = await _handshake(
        FastWebSocketProtocol, RAW, subprotocol
    )
    stock, stock_scope, _, (stock_local, stock_peer) = await _handshake(
        WebSocketsSansIOProtocol, RAW, subprotocol
    )
    assert isinstance(proto, FastWebSocketProtocol)
    head = fast.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 101 Switching Protocols\r\n")
    assert f"\r\ndate: {DATE.decode()}" in head  # uvicorn's own, once a second
    assert head.lower().count("\r\ndate: ") == 1
    assert fast == stock  # the response, the snapshot frame and the close frame
    assert (fast_scope.pop("server"), fast_scope.pop("client")) == (local, peer)
    assert (stock_scope.pop("server"), stock_scope.pop("client")) == (stock_local, stock_peer)
    for scope in (fast_scope, stock_scope):
        scope["extensions"].pop(tr.EXTENSION, None)
    assert fast_scope == stock_scope
    assert fast_scope["scheme"] == "ws"


async def test_a_refused_upgrade_is_refused_as_by_uvicorns_protocol():
    raw = RAW.replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8")
    fast, *_ = await _handshake(FastWebSocketProtocol, raw)
    stock, *_ = await _handshake(WebSocketsSansIOProtocol, raw)
    strip = lambda b: b"\r\n".join(  # noqa: E731
        line for line in b.split(b"\r\n") if not line.lower().startswith(b"date:")
    )
    assert fast.startswith(b"HTTP/1.1 426") or fast.startswith(b"HTTP/1.1 400")
    assert strip(fast) == strip(stock)


async def test_the_protocol_holds_what_uvicorns_holds():
    """``__init__`` is uvicorn's written out (to skip what this class replaces): the
    same attributes with the same values, but for the lean stand-ins."""
    config = Config(app=lambda *a: None, log_config=None, lifespan="off")
    config.load()
    state = ServerState()
    ours = FastWebSocketProtocol(config=config, server_state=state, app_state={})
    theirs = WebSocketsSansIOProtocol(config=config, server_state=state, app_state={})
    replaced = {"queue": Inbox, "writable": Flag, "conn": Handshake}
    assert set(vars(ours)) - {"paused"} == set(vars(theirs))
    for name, value in vars(theirs).items():
        if name in replaced:
            assert type(getattr(ours, name)) is replaced[name], name
        else:
            assert getattr(ours, name) == value, name
    assert ours.writable.is_set() and ours.queue.empty()
    assert vars(ours.conn).keys() == vars(theirs.conn).keys()
    for name in ("max_message_size", "state", "side", "debug", "available_subprotocols"):
        assert getattr(ours.conn, name) == getattr(theirs.conn, name), name
    assert [(type(e), vars(e)) for e in ours.conn.available_extensions] == [
        (type(e), vars(e)) for e in theirs.conn.available_extensions
    ]
    assert ours.conn.logger.logger is theirs.conn.logger


# -- websockets' "connection open" and "connection closed" ------------------------------


@pytest.fixture
def restore_logging():
    root, uvicorn = logging.getLogger(), logging.getLogger("uvicorn.error")
    saved = root.handlers[:], root.level, uvicorn.filters[:]
    flags = {n: getattr(logging, n) for n in ("_srcfile", "logThreads", "logProcesses")}
    yield
    root.handlers[:], uvicorn.filters[:] = saved[0], saved[2]
    root.setLevel(saved[1])
    for name, value in flags.items():
        setattr(logging, name, value)


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.made: list[logging.LogRecord] = []

    def emit(self, record):
        self.made.append(record)


@pytest.mark.parametrize(
    ("configured", "level", "kept"),
    [(True, "INFO", False), (True, "DEBUG", True), (False, "INFO", True)],
)
async def test_websockets_socket_lines_as_quiet_sockets_leaves_them(
    configured, level, kept, restore_logging, monkeypatch
):
    """Dropped before a record is made exactly where the filter would drop it after:
    with Convene's logging at INFO; kept at DEBUG and where nothing installed the filter."""
    if configured:
        configure("json", level)
    else:
        logging.getLogger("uvicorn.error").filters[:] = [
            f for f in logging.getLogger("uvicorn.error").filters if not isinstance(f, QuietSockets)
        ]
        logging.getLogger().setLevel(level)
    made = []
    real = logging.Logger.makeRecord
    monkeypatch.setattr(
        logging.Logger, "makeRecord", lambda self, *a, **k: made.append(a[4]) or real(self, *a, **k)
    )
    seen = _Records()
    logging.getLogger().addHandler(seen)
    _, _, ws, _ = await _handshake(FastWebSocketProtocol)
    ws.conn.logger.info("connection closed")
    lines = [r.getMessage() for r in seen.made]
    assert any(line.endswith("[accepted]") for line in lines)
    assert ("connection open" in lines, "connection closed" in lines) == (kept, kept)
    assert ("connection open" in made) is kept  # not even made where it is dropped
    if kept:
        record = next(r for r in seen.made if r.msg == "connection open")
        assert (record.name, record.levelno) == ("uvicorn.error", logging.INFO)
        if not configured:  # (configure stops collecting where a call was made)
            assert record.pathname.replace("\\", "/").endswith("websockets/server.py")


async def test_uvicorns_http_protocol_is_freed_at_the_upgrade_without_a_collection():
    """It and its parser held each other: every upgraded socket left a cycle for the
    garbage collector. Now it goes as soon as it has handed over."""
    import gc
    import weakref

    made = []
    real_init = HttpToolsProtocol.__init__

    def init(self, *a, **k):
        real_init(self, *a, **k)
        made.append(weakref.ref(self))

    HttpToolsProtocol.__init__ = init
    gc.disable()
    try:
        out, scope, ws, _ = await _handshake(FastWebSocketProtocol)
        assert out.startswith(b"HTTP/1.1 101") and ws.handshake_complete
        assert len(made) == 1 and made[0]() is None
    finally:
        gc.enable()
        HttpToolsProtocol.__init__ = real_init
