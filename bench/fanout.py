"""Broadcast fan-out: Convene against bare WebSocket servers, in paired, interleaved
runs.

For each N (1,000 and 5,000; ``BENCH_QUICK=1``: 1,000 only) the servers take turns,
``--runs`` times (at least 5 for a figure): in each run N clients connect to each
server in turn and ``--broadcasts`` broadcasts are timed from the harness sending the
trigger (an HTTP call) until the last client has the frame:

- ``raw``: an asyncio protocol writing one pre-framed frame to every transport
  (bench/floors.py): the physical limit of Python here;
- ``fastapi``: bare FastAPI + uvicorn, ``send_text`` to each client in a loop;
- ``node``: Node's ``ws`` (bench/node_floor.js), when ``node`` is installed;
- ``convene``: a real ``convene serve`` with production settings on SQLite and on
  PostgreSQL + Redis, N participants of one live session, the moderator's
  ``POST /api/sessions/{id}/broadcast``.

Every server runs on uvloop, pinned to CPU 0; the clients (bench/clients.py, uvloop)
run in this process, pinned to CPU 1. Also measured: seconds until all N are
connected (Convene: until each has its snapshot), idle memory per connection (RSS
growth over N after settling, the same way for every server),
and the clients' CPU. A ratio is the median over the runs of the per-run ratio, with
its range. Figures go to docs/performance.md.

Run: ``python -m bench.fanout [--clients 1000 5000] [--broadcasts 100] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvloop

from bench.clients import ROOT, Fleet, machine, pct, raise_fd_limit, rss_kib, write_section

sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess, free_port  # noqa: E402

SETTLE_S = 3.0  # after the last connect: presence batches and coalesced news are stored
SERVER_CPU, CLIENT_CPU = {0}, {1}


def on_server_cpu(start):
    """Run ``start`` (which spawns the server) with this process on the server's CPU,
    so that the server and every thread it makes inherit it; then back to the
    clients' CPU."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        return start()
    os.sched_setaffinity(0, SERVER_CPU)
    try:
        return start()
    finally:
        os.sched_setaffinity(0, CLIENT_CPU)


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
        if kind == "node":
            cmd = ["node", str(ROOT / "bench" / "node_floor.js"), str(self.port)]
        else:
            cmd = [sys.executable, "-m", "bench.floors", kind, "--port", str(self.port)]
        self.proc = on_server_cpu(
            lambda: subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
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
        """A server with N participants of one live session, started."""
        self = await cls.prepare(n, database_url, redis_url)
        await self.start()
        return self

    @classmethod
    async def prepare(
        cls, n: int, database_url: str | None = None, redis_url: str | None = None
    ) -> Convene:
        """Create the event, session and people once; each run restarts the server."""
        self = cls()
        self.work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
        self.env = {
            "CONVENE_DATABASE_URL": database_url or f"sqlite:///{self.work}/bench.db",
            "CONVENE_LOG_LEVEL": "WARNING",
            "CONVENE_POLL_INTERVAL_S": "1.0",  # the production default, not the tests' 0.5
        }
        if redis_url:
            self.env |= {
                "CONVENE_REDIS_URL": redis_url,
                "CONVENE_REDIS_PREFIX": f"bench-{self.work.name}",
            }
        srv = ServerProcess(self.work, self.env).start()
        self.admin_token = srv.admin_token
        admin = {"Authorization": f"Bearer {srv.admin_token}"}
        async with httpx.AsyncClient(base_url=srv.url, timeout=60, headers=admin) as a:
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

            self.people = await asyncio.gather(*(person(i) for i in range(n)))
            r = await a.post(f"/api/sessions/{sid}/status", json={"status": "live"})
            assert r.status_code == 200, r.text
        srv.stop()
        self.sid = sid
        self.mod_token = mod["token"]
        return self

    async def start(self) -> Convene:
        self.srv = on_server_cpu(
            lambda: ServerProcess(self.work, self.env, admin_token=self.admin_token).start()
        )
        self.pid = self.srv.proc.pid
        self.urls = [
            (f"{self.srv.ws_url}/ws/sessions/{self.sid}?token={p['token']}", p["id"].encode())
            for p in self.people
        ]
        self.http = httpx.AsyncClient(
            base_url=self.srv.url, timeout=60, headers={"Authorization": f"Bearer {self.mod_token}"}
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
        cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for k in range(broadcasts + 2):  # two warm-ups
            marker = f"fanout {k} {secrets.token_hex(6)}"
            needle = marker.encode()
            took = await fleet.measure(
                lambda c, p, needle=needle: needle in p, lambda m=marker: target.broadcast(m)
            )
            if k >= 2:
                times.append(took)
            await asyncio.sleep(0.05)
        cpu1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
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
        "client_cpu": (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime)
        / (wall1 - wall0),
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


FLOORS = ["raw", "fastapi", "node"]


async def main(
    sizes: list[int], broadcasts: int, backends: list[str], redis_url: str, runs: int
) -> list:
    raise_fd_limit(max(sizes))
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, CLIENT_CPU)
    floors = [k for k in FLOORS if k != "node" or _node_ready()]
    results = []
    for n in sizes:
        convenes = {}
        dbs = []
        for backend in backends:
            if backend == "sqlite":
                convenes["SQLite"] = await Convene.prepare(n)
            else:
                db = FreshDatabase()
                dbs.append(db)
                convenes["PostgreSQL + Redis"] = await Convene.prepare(n, db.__enter__(), redis_url)
        try:
            for run in range(runs):
                for kind in floors:
                    r = await run_one(await Floor(kind, n).ready(), n, broadcasts)
                    results.append(r | {"run": run})
                for label, c in convenes.items():
                    r = await run_one(await c.start(), n, broadcasts)
                    results.append(r | {"run": run, "server": f"convene ({label})"})
        finally:
            for db in dbs:
                db.__exit__()
    return results


def _node_ready() -> bool:
    """Node's ``ws`` installed under bench/ (``npm ci --prefix bench``)."""
    if shutil.which("node") is None:
        return False
    if not (ROOT / "bench" / "node_modules" / "ws").exists():
        subprocess.run(
            ["npm", "ci", "--prefix", str(ROOT / "bench"), "--no-audit", "--no-fund"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
    return (ROOT / "bench" / "node_modules" / "ws").exists()


def _ratio(results: list[dict], n: int, server: str, floor: str, key: str) -> str:
    """Median and range over the runs of ``server``'s ``key`` over ``floor``'s."""
    by = {(r["server"], r["run"]): r for r in results if r["clients"] == n}
    ratios = [
        by[(server, run)][key] / by[(floor, run)][key]
        for run in sorted({r["run"] for r in results})
        if (server, run) in by and (floor, run) in by and by[(floor, run)][key]
    ]
    if not ratios:
        return "n/a"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def report(results: list[dict], broadcasts: int, load: str) -> str:
    runs = len({r["run"] for r in results})
    lines = [
        "## Broadcast fan-out (bench/fanout.py)\n",
        f"{machine()}; load average during the run {load}. Server on CPU 0, clients on "
        f"CPU 1, all on uvloop; {runs} paired, interleaved runs, each of {broadcasts} "
        "broadcasts after two warm-ups, from the harness sending the trigger until the "
        "last client has the frame. Rows: median over the runs (range).\n",
        "| clients | server | connect all (s) | idle KiB / connection | p50 (ms) | p99 (ms) "
        "| client CPU |",
        "|---|---|---|---|---|---|---|",
    ]
    servers = list(dict.fromkeys(r["server"] for r in results))
    for n in sorted({r["clients"] for r in results}):
        for server in servers:
            rows = [r for r in results if r["clients"] == n and r["server"] == server]
            if not rows:
                continue

            def cell(key, scale=1.0, fmt=".1f", rows=rows):
                vals = [r[key] * scale for r in rows]
                return f"{statistics.median(vals):{fmt}} ({min(vals):{fmt}}-{max(vals):{fmt}})"

            lines.append(
                f"| {n} | {server} | {cell('connect_s')} | {cell('kib_per_conn')} | "
                f"{cell('p50', 1000)} | {cell('p99', 1000)} | {cell('client_cpu', 100, '.0f')} % |"
            )
    lines.append("\nTargets (issue 19), median of the per-run ratios (range):\n")
    for n in sorted({r["clients"] for r in results}):
        for server in [s for s in servers if s.startswith("convene")]:
            lines.append(
                f"- {n} clients, {server}: p50 {_ratio(results, n, server, 'raw', 'p50')} "
                f"raw (<= 1.3x), {_ratio(results, n, server, 'fastapi', 'p50')} FastAPI "
                f"(<= 1.0x), {_ratio(results, n, server, 'node', 'p50')} Node (stretch 1.0x "
                f"at 5,000); p99 {_ratio(results, n, server, 'raw', 'p99')} raw, "
                f"{_ratio(results, n, server, 'fastapi', 'p99')} FastAPI; memory "
                f"{_ratio(results, n, server, 'fastapi', 'kib_per_conn')} FastAPI's (<= 1.0x); "
                f"connect {_ratio(results, n, server, 'fastapi', 'connect_s')} FastAPI's "
                "(<= 2.5x; all within 10 s at 5,000)"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    quick = os.environ.get("BENCH_QUICK") == "1"
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, nargs="+", default=[1000] if quick else [1000, 5000])
    ap.add_argument("--broadcasts", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
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
    load0 = os.getloadavg()[0]
    results = uvloop.run(
        main(args.clients, args.broadcasts, args.backends, args.redis_url, args.runs)
    )
    load = f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1-minute)"
    section = report(results, args.broadcasts, load)
    print(section)
    if not args.no_write:
        write_section("## Broadcast fan-out", section)
