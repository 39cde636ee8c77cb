"""Broadcast fan-out: Convene against two bare WebSocket servers, in one run.

For each N (default 1,000 and 5,000) and each server, N clients connect to it, and
20 broadcasts are timed from the HTTP call until the last client has the frame:

- ``websockets``: the bare ``websockets`` server with ``broadcast()`` (bench/floors.py);
- ``fastapi``: bare FastAPI + uvicorn, ``send_text`` to each client in a loop;
- ``convene``: a real ``convene serve`` on SQLite, N participants of one live
  session, the moderator's ``POST /api/sessions/{id}/broadcast`` (stored in the event
  log, published, read back once, encoded once, written to every socket).

The clients (bench/clients.py) and the frame size are the same for all three. Also
measured: seconds until all N are connected (Convene: until each has its snapshot)
and idle memory per connection, the server's RSS growth over N once presence has
settled. Targets (issue 4): Convene within 1.2x of the FastAPI floor at 1,000 and
5,000, within 1.5x of the websockets floor at 1,000; at most 36 KiB a connection;
5,000 connected within 10 s. Figures go to docs/performance.md.

Run: ``python -m bench.fanout [--clients 1000 5000] [--broadcasts 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.clients import ROOT, Fleet, machine, pct, raise_fd_limit, rss_kib, write_section

sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess, free_port  # noqa: E402

SETTLE_S = 3.0  # after the last connect: presence batches and coalesced news are stored


class Target:
    """A server under test: its pid, the clients' URLs, and how to trigger a broadcast."""

    name: str
    pid: int
    urls: list[tuple[str, bytes]]
    first_message = False

    async def broadcast(self, text: str) -> None: ...

    async def stop(self) -> None: ...


class Floor(Target):
    def __init__(self, kind: str, n: int):
        self.name = kind
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.floors", kind, "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        self.pid = self.proc.pid
        self.urls = [(f"ws://127.0.0.1:{self.port}/ws", b"")] * n
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

    async def ready(self) -> Floor:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if (await self.http.get("/healthz")).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} floor did not start")

    async def broadcast(self, text: str) -> None:
        if self.name == "websockets":  # its HTTP side reads no bodies: a GET with a header
            r = await self.http.get("/broadcast", headers={"X-Text": text})
        else:
            r = await self.http.post("/broadcast", json={"text": text})
        assert r.status_code == 201, r.text

    async def stop(self) -> None:
        await self.http.aclose()
        self.proc.terminate()
        self.proc.wait(timeout=15)


class Convene(Target):
    name = "convene"
    first_message = True  # the snapshot

    @classmethod
    async def create(cls, n: int, database_url: str | None = None, redis_url: str | None = None):
        self = cls()
        work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
        env = {
            "CONVENE_DATABASE_URL": database_url or f"sqlite:///{work}/bench.db",
            "CONVENE_LOG_LEVEL": "WARNING",
        }
        if redis_url:
            env |= {"CONVENE_REDIS_URL": redis_url, "CONVENE_REDIS_PREFIX": f"bench-{work.name}"}
        self.srv = ServerProcess(work, env).start()
        self.pid = self.srv.proc.pid
        admin = {"Authorization": f"Bearer {self.srv.admin_token}"}
        async with httpx.AsyncClient(base_url=self.srv.url, timeout=60, headers=admin) as a:
            eid = (await a.post("/api/events", json={"title": "Bench"})).json()["id"]
            sid = (
                await a.post(
                    f"/api/events/{eid}/sessions",
                    json={
                        "title": "Plenary",
                        "start": "2030-01-01T10:00",
                        "end": "2030-01-01T12:00",
                    },
                )
            ).json()["id"]
            mod = (
                await a.post(f"/api/events/{eid}/people", json={"name": "Mod", "role": "moderator"})
            ).json()
            gate = asyncio.Semaphore(8)

            async def person(i: int) -> dict:
                async with gate:
                    r = await a.post(
                        f"/api/events/{eid}/people", json={"name": f"P{i}", "role": "participant"}
                    )
                    assert r.status_code == 201, r.text
                    return r.json()

            people = await asyncio.gather(*(person(i) for i in range(n)))
            r = await a.post(f"/api/sessions/{sid}/status", json={"status": "live"})
            assert r.status_code == 200, r.text
        self.urls = [
            (f"{self.srv.ws_url}/ws/sessions/{sid}?token={p['token']}", p["id"].encode())
            for p in people
        ]
        self.sid = sid
        self.http = httpx.AsyncClient(
            base_url=self.srv.url, timeout=60, headers={"Authorization": f"Bearer {mod['token']}"}
        )
        return self

    async def broadcast(self, text: str) -> None:
        r = await self.http.post(f"/api/sessions/{self.sid}/broadcast", json={"text": text})
        assert r.status_code == 201, r.text

    async def stop(self) -> None:
        await self.http.aclose()
        self.srv.stop()


async def run_one(target: Target, n: int, broadcasts: int) -> dict:
    fleet = Fleet()
    times = []
    try:
        base = rss_kib(target.pid)
        connect_s = await fleet.connect(target.urls, first_message=target.first_message)
        await asyncio.sleep(SETTLE_S)
        per_conn = (rss_kib(target.pid) - base) / n
        for k in range(broadcasts + 2):  # two warm-ups
            marker = f"fanout {k} {secrets.token_hex(6)}"
            needle = marker.encode()
            took = await fleet.measure(
                lambda c, p, needle=needle: needle in p, lambda m=marker: target.broadcast(m)
            )
            if k >= 2:
                times.append(took)
            await asyncio.sleep(0.05)
    finally:
        fleet.close()
        await target.stop()
    result = {
        "server": target.name,
        "clients": n,
        "connect_s": connect_s,
        "kib_per_conn": per_conn,
        "p50": statistics.median(times),
        "p99": pct(times, 0.99),
    }
    print(result, flush=True)
    return result


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


class FreshDatabase:
    """A PostgreSQL database of its own for one Convene run (created, then dropped)."""

    def __init__(self, admin_url: str = PG_ADMIN):
        self.admin_url = admin_url
        self.name = f"convene_bench_{secrets.token_hex(4)}"
        self.url = admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as c:
            c.execute(statement)

    def __enter__(self) -> str:
        self._sql(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


async def main(sizes: list[int], broadcasts: int, backends: list[str], redis_url: str) -> list:
    raise_fd_limit(max(sizes))
    results = []
    for n in sizes:
        for kind in ("websockets", "fastapi"):
            results.append(await run_one(await Floor(kind, n).ready(), n, broadcasts))
        for backend in backends:
            if backend == "sqlite":
                r = await run_one(await Convene.create(n), n, broadcasts)
            else:
                with FreshDatabase() as url:
                    r = await run_one(await Convene.create(n, url, redis_url), n, broadcasts)
            r["server"] = f"convene ({'SQLite' if backend == 'sqlite' else 'PostgreSQL + Redis'})"
            results.append(r)
    return results


def report(results: list[dict], broadcasts: int) -> str:
    by: dict = {}
    for r in results:
        by.setdefault((r["server"].split(" ")[0], r["clients"]), []).append(r)
    lines = [
        "## Broadcast fan-out (bench/fanout.py)\n",
        f"{machine()}; one server process, all clients in one other process (lean "
        "clients: handshake, pings, and a byte search per frame; see bench/clients.py). "
        f"Each row: {broadcasts} broadcasts after two warm-ups, from the HTTP call until "
        "the last client has the frame. With 20 samples p99 is the slowest one.\n",
        "| clients | server | connect all (s) | idle KiB / connection | p50 (ms) | p99 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['clients']} | {r['server']} | {r['connect_s']:.1f} | {r['kib_per_conn']:.1f} | "
            f"{r['p50'] * 1000:.1f} | {r['p99'] * 1000:.1f} |"
        )
    lines.append("\nConvene against the floors (p50; target in brackets):\n")
    for n in sorted({r["clients"] for r in results}):
        if not all((k, n) in by for k in ("convene", "fastapi", "websockets")):
            continue
        f, w = by[("fastapi", n)][0], by[("websockets", n)][0]
        for c in by[("convene", n)]:
            lines.append(
                f"- {n} clients, {c['server']}: {c['p50'] / f['p50']:.2f}x FastAPI (1.2x), "
                f"{c['p50'] / w['p50']:.2f}x websockets "
                f"({'1.5x' if n <= 1000 else 'no target'}); "
                f"{c['kib_per_conn']:.1f} KiB a connection (36); "
                f"connected in {c['connect_s']:.1f} s{' (10 s)' if n >= 5000 else ''}"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, nargs="+", default=[1000, 5000])
    ap.add_argument("--broadcasts", type=int, default=20)
    ap.add_argument(
        "--backends",
        nargs="+",
        default=["sqlite", "postgresql"],
        choices=["sqlite", "postgresql"],
        help="postgresql: a fresh database on 127.0.0.1:5432 (user postgres) and Redis",
    )
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--no-write", action="store_true", help="print, do not touch the docs")
    args = ap.parse_args()
    results = asyncio.run(main(args.clients, args.broadcasts, args.backends, args.redis_url))
    section = report(results, args.broadcasts)
    print(section)
    if not args.no_write:
        write_section("## Broadcast fan-out", section)
