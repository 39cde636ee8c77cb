"""A real HTTP receiver for webhooks, on a local port."""

from __future__ import annotations

import asyncio


class Receiver:
    """A small HTTP server that fails the first ``fail`` requests with 500."""

    def __init__(self, fail: int = 0):
        self.fail = fail
        self.requests: list[tuple[dict, bytes]] = []
        self.arrived = asyncio.Condition()

    async def start(self) -> Receiver:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"
        return self

    async def _handle(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {
            k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
        }
        body = await reader.readexactly(int(headers.get("content-length", 0)))
        async with self.arrived:
            n = len(self.requests)
            self.requests.append((headers, body))
            self.arrived.notify_all()
        status, extra = await self.answer(n)
        writer.write(
            f"HTTP/1.1 {status} X\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    async def answer(self, n: int) -> tuple[int, str]:
        """The status and extra header lines for request ``n`` (from 0), once recorded."""
        return (500 if n < self.fail else 200), ""

    async def wait_for(self, pred, timeout: float = 10.0):
        async with self.arrived:
            await asyncio.wait_for(
                self.arrived.wait_for(lambda: any(pred(h, b) for h, b in self.requests)), timeout
            )
        return [(h, b) for h, b in self.requests if pred(h, b)]

    async def close(self):
        self.server.close()
        await self.server.wait_closed()


async def register_webhook(api, event_id: str, url: str, secret: str, events=None) -> dict:
    """Register a webhook of the event (every event type when ``events`` is None)."""
    body = {"url": url, "secret": secret}
    if events is not None:
        body["events"] = events
    return await api.ok("POST", f"/api/events/{event_id}/webhooks", body, 201)
