"""The two bare servers the fan-out benchmark measures Convene against.

Both accept WebSocket clients on ``/ws`` and answer ``POST /broadcast`` (JSON
``{"text"}``) by sending every client a frame shaped like Convene's
``broadcast.message``, so the clients, the payload and the trigger (an HTTP call)
are the same as for Convene:

- ``websockets``: the ``websockets`` library's own server and ``broadcast()``, which
  writes to every connection without waiting (the lower floor);
- ``fastapi``: FastAPI on uvicorn with Convene's uvicorn options, awaiting
  ``send_text`` for each client in a loop (Convene's framework, without Convene).

Run: ``python -m bench.floors websockets|fastapi --port P``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import uuid
from http import HTTPStatus

import orjson
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel
from websockets.exceptions import ConnectionClosed

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


async def serve_websockets(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve
    from websockets.http11 import Response

    clients: set = set()

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


class Body(BaseModel):
    text: str


def fastapi_app():
    app = FastAPI()
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
    ap.add_argument("kind", choices=["websockets", "fastapi"])
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    if args.kind == "websockets":
        asyncio.run(serve_websockets(args.port))
    else:
        import uvicorn

        uvicorn.run(
            fastapi_app(),
            host="127.0.0.1",
            port=args.port,
            ws="websockets-sansio",
            ws_max_size=65536,
            ws_per_message_deflate=False,
            backlog=4096,
            log_level="warning",
            access_log=False,
        )


if __name__ == "__main__":
    main()
