"""Lean WebSocket clients for the benchmarks, and what the benchmarks share.

Thousands of clients live in one Python process beside the server under test. A
full client library spends more per received frame (a task wake-up, a queue, a
parser generator) than the server spends sending it, so the clients would become
what is measured. These clients do the RFC 6455 handshake, answer pings and close
frames, and otherwise only look for a marker in each frame's bytes, inside
``data_received``: the server side is what the figures show.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import os
import platform
import resource
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def raise_fd_limit(n: int) -> None:
    """Room for ``n`` clients and the server's ``n`` sockets (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n * 2 + 1000)), hard))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{dt.date.today().isoformat()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def write_section(marker: str, section: str) -> None:
    """Replace (or append) the section of docs/performance.md headed ``marker``."""
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n"
    if marker in text:
        head, _, rest = text.partition(marker)
        tail = rest.split("\n## ", 1)
        text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


class Wait:
    """One measurement: done when ``remaining`` clients have seen a matching frame."""

    def __init__(self, match: Callable[[Client, bytes], bool], remaining: int):
        self.match = match
        self.remaining = remaining
        self.done = asyncio.get_running_loop().create_future()

    def hit(self) -> None:
        self.remaining -= 1
        if self.remaining == 0 and not self.done.done():
            self.done.set_result(time.perf_counter())


class Client(asyncio.Protocol):
    """A WebSocket client that parses frames in ``data_received``."""

    def __init__(self, fleet: Fleet, tag: bytes = b""):
        self.fleet = fleet
        self.tag = tag  # what identifies this client's own frames (e.g. its person id)
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.opened = asyncio.get_running_loop().create_future()  # handshake done
        self.first = asyncio.get_running_loop().create_future()  # first message
        self.seen: Wait | None = None  # the last Wait this client counted for
        self.key = ""  # Sec-WebSocket-Key sent in the handshake

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end])
            del self.buf[: end + 4]
            if not head.startswith(b"HTTP/1.1 101") or accept_key(self.key) not in head:
                self.opened.set_exception(ConnectionError(head.split(b"\r\n", 1)[0].decode()))
                self.transport.close()
                return
            self.upgraded = True
            self.opened.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buf = self.buf
        while len(buf) >= 2:
            opcode, size, head = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if size == 126:
                if len(buf) < 4:
                    return
                size, head = int.from_bytes(buf[2:4], "big"), 4
            elif size == 127:
                if len(buf) < 10:
                    return
                size, head = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < head + size:
                return
            payload = bytes(buf[head : head + size])
            del buf[: head + size]
            if opcode in (0, 1, 2):
                self._message(payload)
            elif opcode == 9:
                self.send(0xA, payload)
            elif opcode == 8:
                self.send(0x8, payload[:2])
                self.transport.close()
                return

    def _message(self, payload: bytes) -> None:
        if not self.first.done():
            self.first.set_result(payload)
        wait = self.fleet.wait
        if wait is not None and self.seen is not wait and wait.match(self, payload):
            self.seen = wait
            wait.hit()

    def send(self, opcode: int, payload: bytes) -> None:
        """A masked frame (clients must mask); only short control frames here."""
        key = secrets.token_bytes(4)
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + key + masked)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send(0x8, (1000).to_bytes(2, "big"))
            self.transport.close()


class Fleet:
    """N clients of one URL each; ``wait`` is the measurement in progress."""

    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.wait: Wait | None = None

    async def connect(
        self, urls: list[tuple[str, bytes]], *, first_message: bool, concurrency: int = 100
    ) -> float:
        """Open a client per (url, tag), ``concurrency`` handshakes at a time; seconds
        until all are open (and, with ``first_message``, have their snapshot)."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(concurrency)

        async def one(url: str, tag: bytes) -> Client:
            async with gate:
                parts = urlsplit(url)
                _, client = await loop.create_connection(
                    lambda: Client(self, tag), parts.hostname, parts.port
                )
                key = client.key = base64.b64encode(secrets.token_bytes(16)).decode()
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                client.transport.write(
                    (
                        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                    ).encode()
                )
                await asyncio.wait_for(client.opened, 60)
                if first_message:
                    await asyncio.wait_for(client.first, 60)
                return client

        t0 = time.perf_counter()
        self.clients = list(await asyncio.gather(*(one(u, t) for u, t in urls)))
        return time.perf_counter() - t0

    async def measure(
        self, match: Callable[[Client, bytes], bool], trigger, timeout: float = 120
    ) -> float:
        """Seconds from just before ``await trigger()`` until every client matched."""
        self.wait = Wait(match, len(self.clients))
        start = time.perf_counter()
        await trigger()
        done = await asyncio.wait_for(self.wait.done, timeout)
        self.wait = None
        return done - start

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.clients = []


def accept_key(key: str) -> bytes:
    """The Sec-WebSocket-Accept a server must answer ``key`` with (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
