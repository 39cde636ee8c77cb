"""The bare servers the fan-out benchmark measures Convene against.

All accept WebSocket clients on ``/ws`` and answer ``POST /broadcast`` (JSON
``{"text"}``) by sending every client a frame shaped like Convene's
``broadcast.message``, so the clients, the payload and the trigger (an HTTP call)
are the same as for Convene:

- ``websockets``: the ``websockets`` library's own server and ``broadcast()``, which
  writes to every connection without waiting (the lower floor);
- ``fastapi``: FastAPI on uvicorn with Convene's uvicorn options, awaiting
  ``send_text`` for each client in a loop (Convene's framework, without Convene);
- ``raw``: an asyncio protocol that does the handshake itself and writes one
  pre-framed frame to every transport: the physical limit of Python here.

Each runs on uvloop, as ``convene serve`` does (Node ``ws`` is bench/node_floor.js).
On SIGUSR2 each collects its garbage, gives the C heap's free pages back
(``malloc_trim``) and prints ``garbage collected on SIGUSR2``, as Convene does and
logs it: the benchmark reads memory per connection after that, the same way for
every Python server.

Run: ``python -m bench.floors websockets|fastapi|raw --port P``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import ctypes.util
import datetime as dt
import gc
import hashlib
import itertools
import signal
import uuid
from http import HTTPStatus

import orjson
import uvloop
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from websockets.exceptions import ConnectionClosed

from server.gateway.frames import text_frame

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

SESSION = str(uuid.uuid4())
_seq = itertools.count(1)


def frame(text: str) -> str:
    """The same fields and sizes as Convene's broadcast frame."""
    now = dt.datetime.now(dt.UTC)
    return orjson.dumps(
        {
            "seq": next(_seq),
            "type": "broadcast.message",
            "session_id": SESSION,
            "at": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            "by": SESSION,
            "data": {"text": text, "translations": {}, "language": None},
        }
    ).decode()


def _collect() -> None:
    """As ``convene serve`` does on SIGUSR2: collect, then give the C heap's free pages
    back (glibc's ``malloc_trim``), so that memory is measured the same way."""
    found = gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    print(f"garbage collected on SIGUSR2: {found} unreachable objects", flush=True)


def collect_on_sigusr2() -> None:
    """Install the SIGUSR2 collection on the running loop."""
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, _collect)


async def serve_websockets(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve
    from websockets.http11 import Response

    clients: set = set()
    collect_on_sigusr2()

    async def handler(ws) -> None:
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        finally:
            clients.discard(ws)

    async def process_request(connection, request) -> Response | None:
        if request.path.startswith("/broadcast"):
            # websockets' HTTP side has no bodies: the text comes in a header
            broadcast(clients, frame(request.headers.get("X-Text", "")))
            return connection.respond(HTTPStatus.CREATED, "sent\n")
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async with serve(
        handler,
        "127.0.0.1",
        port,
        process_request=process_request,
        compression=None,
        ping_interval=None,
        max_queue=None,
        backlog=4096,
    ) as server:
        await server.serve_forever()


class RawServer(asyncio.Protocol):
    """HTTP/1.1 just enough for the benchmark: the upgrade, ``/healthz`` and
    ``POST /broadcast``; after the upgrade it reads nothing but a close."""

    clients: set[asyncio.Transport] = set()

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buf = b""
        self.upgraded = False

    def connection_lost(self, exc) -> None:
        RawServer.clients.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        if self.upgraded:
            if data and data[0] & 0x0F == 8:  # close: echo it and go
                self.transport.write(b"\x88\x02\x03\xe8")
                self.transport.close()
            return
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1").split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
            size = int(headers.get("content-length", "0"))
            if len(self.buf) < end + 4 + size:
                return
            body, self.buf = self.buf[end + 4 : end + 4 + size], self.buf[end + 4 + size :]
            self.request(head[0].split(" "), headers, body)

    def request(self, line: list[str], headers: dict[str, str], body: bytes) -> None:
        method, path = line[0], line[1]
        if path == "/ws":
            accept = base64.b64encode(
                hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest()
            )
            self.transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            self.upgraded = True
            RawServer.clients.add(self.transport)
            return
        if method == "POST" and path == "/broadcast":
            data = text_frame(frame(orjson.loads(body)["text"]).encode())
            for t in list(RawServer.clients):
                t.write(data)
            self.respond(b"201 Created", b'{"sent":%d}' % len(RawServer.clients))
        elif path == "/healthz":
            self.respond(b"200 OK", b'{"status":"ok"}')
        else:
            self.respond(b"404 Not Found", b"{}")

    def respond(self, status: bytes, body: bytes) -> None:
        self.transport.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )


async def serve_raw(port: int) -> None:
    loop = asyncio.get_running_loop()
    collect_on_sigusr2()
    server = await loop.create_server(RawServer, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


class Body(BaseModel):
    text: str


def fastapi_app():
    @contextlib.asynccontextmanager
    async def lifespan(_app):
        collect_on_sigusr2()
        yield

    app = FastAPI(lifespan=lifespan)
    clients: set[WebSocket] = set()

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/broadcast", status_code=201)
    async def send(body: Body) -> dict:
        data = frame(body.text)
        for ws in list(clients):
            try:
                await ws.send_text(data)
            except Exception:
                clients.discard(ws)
        return {"sent": len(clients)}

    @app.websocket("/ws")
    async def socket(ws: WebSocket) -> None:
        await ws.accept()
        clients.add(ws)
        try:
            while True:
                await ws.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            clients.discard(ws)

    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["websockets", "fastapi", "raw"])
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    if args.kind == "websockets":
        uvloop.run(serve_websockets(args.port))
    elif args.kind == "raw":
        uvloop.run(serve_raw(args.port))
    else:
        import uvicorn

        uvicorn.run(
            fastapi_app(),
            host="127.0.0.1",
            port=args.port,
            loop="uvloop",
            http="httptools",
            ws="websockets-sansio",
            ws_max_size=65536,
            ws_per_message_deflate=False,
            backlog=4096,
            log_level="warning",
            access_log=False,
        )


if __name__ == "__main__":
    main()
