"""Lean WebSocket clients for the benchmarks, and what the benchmarks share.

Thousands of clients live in one Python process beside the server under test. A
full client library spends more per received frame (a task wake-up, a queue, a
parser generator) than the server spends sending it, so the clients would become
what is measured. These clients do the RFC 6455 handshake, answer pings and close
frames, and otherwise only look for a marker in each frame's bytes, inside
``data_received``: the server side is what the figures show. Each client counts the
messages it received and the measurements it matched, so that a benchmark can say
what was lost.

``python -m bench.clients`` runs a fleet as a worker process of its own (on uvloop),
driven by JSON lines on stdin (``Workers`` starts and drives them): at 5,000 clients
and more one client process would become the limit, and each process stays below
its file-descriptor limit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def backend_args(ap) -> None:
    """The options every benchmark shares: which backends, the Redis beside
    PostgreSQL, and whether the figures go to docs/performance.md."""
    ap.add_argument(
        "--backends",
        nargs="+",
        default=["sqlite", "postgresql"],
        choices=["sqlite", "postgresql"],
        help="postgresql: a fresh database on 127.0.0.1:5432 (user postgres) and Redis",
    )
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--no-write", action="store_true", help="print, do not touch the docs")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def raise_fd_limit(n: int) -> int:
    """Room for ``n`` clients and the server's ``n`` sockets (children inherit it):
    the soft limit up to the hard one (20,000 here); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n * 2 + 1000)
    if hard != resource.RLIM_INFINITY:
        want = min(hard, want)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


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
            # CLOCK_MONOTONIC on Linux: comparable across the client processes
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
        self.messages = 0  # data messages received
        self.hits = 0  # measurements this client matched
        self.lost = False  # the connection ended before the benchmark closed it

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        if not self.fleet.closing:
            self.lost = True

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
        self.messages += 1
        if not self.first.done():
            self.first.set_result(payload)
        wait = self.fleet.wait
        if wait is not None and self.seen is not wait and wait.match(self, payload):
            self.seen = wait
            self.hits += 1
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
        self.closing = False
        self.failed: list[str] = []  # why the clients that did not connect did not

    async def connect(
        self,
        urls: list[tuple[str, bytes]],
        *,
        first_message: bool,
        concurrency: int = 100,
        timeout: float = 60,
        tolerate: bool = False,
    ) -> float:
        """Open a client per (url, tag), ``concurrency`` handshakes at a time; seconds
        until all are open (and, with ``first_message``, have their snapshot).
        ``tolerate``: a client that fails is left out and counted in ``failed``
        instead of failing the whole fleet."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(concurrency)
        self.closing = False
        self.failed = []

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
                await asyncio.wait_for(client.opened, timeout)
                if first_message:
                    await asyncio.wait_for(client.first, timeout)
                return client

        t0 = time.perf_counter()
        got = await asyncio.gather(*(one(u, t) for u, t in urls), return_exceptions=tolerate)
        self.clients = [c for c in got if isinstance(c, Client)]
        self.failed = [repr(e) for e in got if not isinstance(e, Client)]
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
        self.closing = True
        for c in self.clients:
            c.close()
        self.clients = []


def accept_key(key: str) -> bytes:
    """The Sec-WebSocket-Accept a server must answer ``key`` with (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())


# ---- client worker processes -------------------------------------------------------------


async def _worker() -> None:
    """Serve one ``Workers`` parent: a JSON command per stdin line, a JSON answer per
    stdout line. ``arm`` answers at once, then ``done`` (with the ``perf_counter`` time the
    last client matched) when every client has the needle; ``disarm`` gives up on it
    and says how many clients never got it."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer
    fleet = Fleet()
    watch: asyncio.Task | None = None

    def say(**msg) -> None:
        out.write(json.dumps(msg).encode() + b"\n")
        out.flush()

    async def report_done(wait: Wait, k: int) -> None:
        say(done=k, t=await wait.done)

    while line := await reader.readline():
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "connect":
            urls = [(u, t.encode()) for u, t in cmd["urls"]]
            await fleet.connect(
                urls,
                first_message=cmd["first"],
                concurrency=cmd["concurrency"],
                timeout=cmd["timeout"],
                tolerate=True,
            )
            say(
                t=time.perf_counter(),
                connected=len(fleet.clients),
                failed=fleet.failed[:3],
                failures=len(fleet.failed),
            )
        elif op == "arm":
            needle = cmd["needle"].encode()
            live = [c for c in fleet.clients if not c.lost]
            wait = fleet.wait = Wait(lambda c, p, needle=needle: needle in p, len(live))
            if not live:
                wait.done.set_result(time.perf_counter())
            watch = asyncio.create_task(report_done(wait, cmd["k"]))
            say(armed=cmd["k"])
        elif op == "disarm":
            if watch is not None and not watch.done():
                watch.cancel()
            missing = fleet.wait.remaining if fleet.wait is not None else 0
            fleet.wait = None
            say(disarmed=cmd["k"], missing=missing)
        elif op == "cpu":
            r = resource.getrusage(resource.RUSAGE_SELF)
            say(cpu=r.ru_utime + r.ru_stime, t=time.perf_counter())
        elif op == "stats":
            cs = fleet.clients
            say(
                clients=len(cs),
                messages=sum(c.messages for c in cs),
                hits=sum(c.hits for c in cs),
                dropped=sum(c.lost for c in cs),
            )
        elif op == "close":
            fleet.wait = None
            fleet.close()
            say(closed=True)
        elif op == "quit":
            return


class Workers:
    """``procs`` client processes (``python -m bench.clients``), on the CPU this
    process runs on when it starts them; the clients of one server split between
    them in contiguous shares. Their times are ``perf_counter`` (CLOCK_MONOTONIC on
    Linux), one clock for every process of the machine."""

    def __init__(self, procs: int):
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.clients"],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            for _ in range(procs)
        ]
        self.queues: list[asyncio.Queue] = []
        self.readers: list[asyncio.Task] = []

    async def start(self) -> Workers:
        loop = asyncio.get_running_loop()
        for p in self.procs:
            q: asyncio.Queue = asyncio.Queue()
            reader = asyncio.StreamReader(limit=2**26)
            await loop.connect_read_pipe(lambda r=reader: asyncio.StreamReaderProtocol(r), p.stdout)
            self.queues.append(q)
            self.readers.append(asyncio.create_task(_pump(reader, q)))
        return self

    def _send(self, i: int, **cmd) -> None:
        self.procs[i].stdin.write(json.dumps(cmd).encode() + b"\n")
        self.procs[i].stdin.flush()

    async def _answer(self, i: int, want, timeout: float | None = None) -> dict:
        """The next answer of worker ``i`` that ``want`` accepts; the others (stale
        answers of earlier measurements) are skipped."""

        async def next_one() -> dict:
            while True:
                msg = await self.queues[i].get()
                if msg is None:
                    raise RuntimeError(f"client worker {i} exited")
                if want(msg):
                    return msg

        return await asyncio.wait_for(next_one(), timeout)

    async def ask(self, key: str, **cmd) -> list[dict]:
        for i in range(len(self.procs)):
            self._send(i, **cmd)
        return [await self._answer(i, lambda m: key in m) for i in range(len(self.procs))]

    async def connect(
        self,
        urls: list[tuple[str, bytes]],
        *,
        first_message: bool,
        concurrency: int = 100,
        timeout: float = 120,
    ) -> tuple[float, int, list[str]]:
        """Seconds until every worker has all its clients open (and their first
        message), how many failed, and why the first few did."""
        k = len(self.procs)
        share = -(-len(urls) // k)
        t0 = time.perf_counter()
        for i in range(k):
            part = [(u, t.decode()) for u, t in urls[i * share : (i + 1) * share]]
            self._send(
                i,
                op="connect",
                urls=part,
                first=first_message,
                concurrency=max(1, concurrency // k),
                timeout=timeout,
            )
        answers = [await self._answer(i, lambda m: "connected" in m) for i in range(k)]
        failures = sum(a["failures"] for a in answers)
        return (
            max(a["t"] for a in answers) - t0,
            failures,
            [e for a in answers for e in a["failed"]],
        )

    async def measure(
        self, k: int, needle: str, trigger, timeout: float
    ) -> tuple[float | None, int]:
        """Seconds from just before ``await trigger()`` until the last client of every
        worker has a message containing ``needle`` (None if some never did within
        ``timeout``), and how many clients never did."""
        n = len(self.procs)
        for i in range(n):
            self._send(i, op="arm", needle=needle, k=k)
        for i in range(n):
            await self._answer(i, lambda m: m.get("armed") == k)
        start = time.perf_counter()
        await trigger()
        deadline = start + timeout
        ends, missing = [], 0
        for i in range(n):
            try:
                left = max(0.0, deadline - time.perf_counter())
                msg = await self._answer(i, lambda m: m.get("done") == k, left)
                ends.append(msg["t"])
            except TimeoutError:
                self._send(i, op="disarm", k=k)
                while True:
                    msg = await self._answer(i, lambda m: k in (m.get("done"), m.get("disarmed")))
                    if msg.get("done") == k:  # it arrived after all
                        ends.append(msg["t"])
                    elif msg.get("disarmed") == k:
                        missing += msg["missing"]
                        break
        if missing:
            return None, missing
        return max(ends) - start, 0

    async def cpu(self) -> list[float]:
        """CPU seconds each worker has used so far."""
        return [a["cpu"] for a in await self.ask("cpu", op="cpu")]

    async def stats(self) -> dict:
        answers = await self.ask("messages", op="stats")
        return {key: sum(a[key] for a in answers) for key in answers[0]}

    async def close_clients(self) -> None:
        await self.ask("closed", op="close")

    async def stop(self) -> None:
        for i, p in enumerate(self.procs):
            if p.poll() is None:
                with contextlib.suppress(OSError):
                    self._send(i, op="quit")
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        for t in self.readers:
            t.cancel()


async def _pump(reader: asyncio.StreamReader, q: asyncio.Queue) -> None:
    while line := await reader.readline():
        q.put_nowait(json.loads(line))
    q.put_nowait(None)


if __name__ == "__main__":
    import uvloop

    uvloop.run(_worker())
