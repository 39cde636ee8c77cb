"""The gateway's send path on a real uvicorn server with ``FastWebSocketProtocol``:
frames written straight to the transport while the client keeps up, through the path
that waits once its transport pauses, in seq order across both, and the 4408 bound
counting what the transport holds. The client is a raw socket that stops reading."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from server.auth import Caller
from server.gateway.connection import TOO_SLOW, Connection, send
from server.gateway.frames import encode
from server.gateway.transport import FastWebSocketProtocol
from tests.support.server import free_port

FRAME = 128 * 1024  # bytes of payload a frame
N = 48  # 6 MiB: more than loopback's kernel buffers take from a client that does not read


class Harness:
    """A server whose one socket handler hands its ``Connection`` to the test."""

    def __init__(self, queue_bytes: int):
        self.queue_bytes = queue_bytes
        self.conn: asyncio.Future[Connection] | None = None
        self.done: asyncio.Event | None = None
        self.port = free_port()

    async def handler(self, ws: WebSocket) -> None:
        await ws.accept()
        conn = Connection(
            ws,
            Caller(None),
            "c",
            room_id=None,
            listening=None,
            booths=frozenset(),
            queue_max=10_000,
            queue_bytes=self.queue_bytes,
        )
        self.conn.set_result(conn)
        await self.done.wait()
        await conn.stop()

    async def __aenter__(self) -> Harness:
        self.conn = asyncio.get_running_loop().create_future()
        self.done = asyncio.Event()
        app = Starlette(routes=[WebSocketRoute("/ws", self.handler)])
        config = uvicorn.Config(
            app,
            port=self.port,
            ws=FastWebSocketProtocol,
            ws_max_size=65536,
            ws_per_message_deflate=False,
            ws_ping_interval=None,  # the raw client answers no pings
            log_config=None,
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc) -> None:
        self.done.set()
        self.server.should_exit = True
        await self.task


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def _frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    return b0 & 0x0F, await reader.readexactly(n)


def _frames(n: int, size: int) -> list[bytes]:
    return [encode({"seq": i, "pad": "x" * size}) for i in range(1, n + 1)]


async def test_a_paused_client_gets_every_frame_in_seq_order_across_both_paths():
    async with Harness(queue_bytes=64 * 2**20) as h:
        reader, writer = await _connect(h.port)
        try:
            conn = await h.conn
            assert conn.push(encode({"seq": 0}))  # written at once: the client keeps up
            assert conn.pending == 0
            for frame in _frames(N, FRAME):
                assert conn.push(frame)
            # the transport paused: the rest waits in order behind the send that waits
            assert conn.pending > 0
            assert conn.push(encode({"seq": N + 1}))  # behind them, not written first
            seqs = []
            while len(seqs) < N + 2:
                opcode, payload = await _frame(reader)
                if opcode == 9:  # uvicorn's keep-alive ping, between two frames
                    continue
                assert opcode == 1
                seqs.append(orjson.loads(payload)["seq"])
            assert seqs == list(range(N + 2))
        finally:
            writer.close()
            await writer.wait_closed()


async def test_the_4408_bound_counts_bytes_the_transport_holds():
    bound = 4 * 2**20
    async with Harness(queue_bytes=bound) as h:
        reader, writer = await _connect(h.port)
        try:
            conn = await h.conn
            # more than the kernel takes: the rest stays in the transport's buffer
            assert conn.push(encode({"seq": 0, "pad": "x" * bound}))
            assert not conn.closing and conn.buffered > 0
            for frame in _frames(64, 64 * 1024):
                if not conn.push(frame):
                    break
            assert conn.close_code == TOO_SLOW
            # the backlog alone would have taken the frame; with the transport's buffer
            # it is over the bound
            assert conn._backlog_bytes + len(frame) <= bound
            assert conn._backlog_bytes + len(frame) + conn.buffered > bound
        finally:
            writer.close()
            await writer.wait_closed()


async def test_a_broadcast_waits_behind_a_paused_transport_and_keeps_seq_order():
    """The fan-out's loop (``send``) writes straight only to transports that take
    writes: once a client's transport paused, even before anything waits in its
    backlog, a broadcast's frame queues and arrives after what the transport holds."""
    async with Harness(queue_bytes=64 * 2**20) as h:
        reader, writer = await _connect(h.port)
        try:
            conn = await h.conn
            big = encode({"seq": 0, "pad": "x" * (4 * 2**20)})
            assert conn.push(big)  # written: the kernel takes part, the transport the rest
            assert conn.pending == 0 and conn.buffered > 0  # paused, nothing queued yet
            before = conn.buffered
            assert send((encode({"seq": 1}),), [conn]) == 1
            assert conn.pending > 0 and conn.buffered == before  # queued, not written
            assert send((encode({"seq": 2}), encode({"seq": 3})), [conn]) == 1
            seqs = []
            while len(seqs) < 4:
                opcode, payload = await _frame(reader)
                if opcode == 9:
                    continue
                seqs.append(orjson.loads(payload)["seq"])
            assert seqs == [0, 1, 2, 3]
        finally:
            writer.close()
            await writer.wait_closed()
