"""Broadcast fan-out, 10,000 clients on one process, the connect storm and memory per
idle connection: Convene against bare WebSocket servers, in paired, interleaved runs
(issue 19, targets 1 to 4; the round opening and the resume storm, targets 5 and 6,
are bench/breakouts.py and bench/resume.py).

For each N (1,000, 5,000 and 10,000; ``BENCH_QUICK=1``: 1,000 only) the servers take
turns, ``--runs`` times (5: a figure is the median of at least 5 paired runs, with its
range); in each run N clients connect to each server in turn and ``--broadcasts``
(100) broadcasts are timed from the harness sending the trigger (an HTTP call) until
the last client has the frame:

- ``raw``: an asyncio protocol writing one pre-framed frame to every transport
  (bench/floors.py): the physical limit of Python here;
- ``fastapi``: bare FastAPI + uvicorn, ``send_text`` to each client in a loop;
- ``node``: Node's ``ws`` (bench/node_floor.js), when ``node`` is installed;
- ``convene``: a real ``convene serve`` with the settings' defaults (production, not
  the tests' timings) on SQLite and on PostgreSQL + Redis, N participants of one
  live session, the moderator's ``POST /api/sessions/{id}/broadcast``; the run stops
  if /metrics does not show uvloop, httptools and every socket on the fast send path.

At 10,000 clients: the FastAPI floor and Convene on SQLite only, and 3 paired runs
(the reason is printed: 5 would not fit ``make bench``'s 60 minutes on 2 cores).

Every server runs on uvloop, pinned to CPU 0; the clients (bench/clients.py, uvloop)
run in client processes of their own pinned to CPU 1, two from 5,000 clients up.
Also measured: seconds until all N are connected (Convene: until each holds its
snapshot), idle memory per connection (RSS after a SIGUSR2 garbage collection and
C heap trim (Node: its own ``gc()``) with the clients connected, minus the same
before they connected, over N: the same way for every server), every message each
client received (what a client never got is reported as lost) and the clients' CPU.
Figures go to docs/performance.md.

Run: ``python -m bench.fanout [--clients 1000 5000 10000] [--broadcasts 100] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvloop

from bench.clients import (
    ROOT,
    Workers,
    backend_args,
    machine,
    pct,
    raise_fd_limit,
    rss_kib,
    write_section,
)

sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess, free_port  # noqa: E402

SETTLE_S = 3.0  # after the last connect: presence batches and coalesced news are stored
SERVER_CPU, CLIENT_CPU = {0}, {1}
GC_ACK = b"garbage collected on SIGUSR2"
LOSS_TIMEOUT_S = 60.0  # a client without the frame by then has lost it
BIG = 10_000  # from here: one Convene backend, fewer runs
TWO_CLIENT_PROCS_FROM = 5_000


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
    """A server under test: its pid, its log, the clients' URLs, and how to trigger a
    broadcast."""

    name: str
    pid: int
    log_path: Path
    urls: list[tuple[str, bytes]]
    first_message = False

    async def broadcast(self, text: str) -> None: ...

    async def stop(self) -> None: ...

    async def runtime(self) -> str:
        """What the server says it serves on (Convene only)."""
        return ""

    async def rss_after_gc(self, timeout: float = 30) -> int:
        """RSS (KiB) once the server has collected its garbage on SIGUSR2 and said so."""
        before = self.log_path.read_bytes().count(GC_ACK)
        os.kill(self.pid, signal.SIGUSR2)
        deadline = time.monotonic() + timeout
        while self.log_path.read_bytes().count(GC_ACK) <= before:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not collect on SIGUSR2")
            await asyncio.sleep(0.05)
        return rss_kib(self.pid)

    def backing_kib(self) -> dict[str, int]:
        """Memory the server's backing services hold for it, by service (KiB)."""
        return {}


class Floor(Target):
    def __init__(self, kind: str, n: int):
        self.name = kind
        self.port = free_port()
        if kind == "node":
            cmd = ["node", "--expose-gc", str(ROOT / "bench" / "node_floor.js"), str(self.port)]
        else:
            cmd = [sys.executable, "-m", "bench.floors", kind, "--port", str(self.port)]
        self.log_path = Path(tempfile.mkstemp(prefix=f"floor-{kind}-", suffix=".log")[1])
        self.log = open(self.log_path, "wb")
        self.proc = on_server_cpu(
            lambda: subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
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
        self.log.close()
        self.log_path.unlink(missing_ok=True)


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
        """Create the event, session and people once (imported in batches, their
        tokens from one re-issue of the participants' links); each run restarts the
        server. The service runs with the settings' defaults: only the database, Redis,
        admin token and data directory are set (``production_settings``)."""
        self = cls()
        self.work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
        self.env = {"CONVENE_DATABASE_URL": database_url or f"sqlite:///{self.work}/bench.db"}
        if redis_url:
            self.env |= {
                "CONVENE_REDIS_URL": redis_url,
                "CONVENE_REDIS_PREFIX": f"bench-{self.work.name}",
            }
        srv = ServerProcess(self.work, self.env, production=True).start()
        self.admin_token = srv.admin_token
        admin = {"Authorization": f"Bearer {srv.admin_token}"}
        async with httpx.AsyncClient(base_url=srv.url, timeout=120, headers=admin) as a:
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
            for lo in range(0, n, 2000):
                rows = [
                    {"name": f"P{i}", "role": "participant"} for i in range(lo, min(n, lo + 2000))
                ]
                r = await a.post(f"/api/events/{eid}/people/import", json=rows)
                assert r.status_code == 200, r.text
            r = await a.post(f"/api/events/{eid}/people/links", json={"roles": ["participant"]})
            assert r.status_code == 200, r.text
            links = sorted(r.json(), key=lambda link: int(link["name"][1:]))
            assert len(links) == n, (len(links), n)
            self.people = [
                {"id": link["person_id"], "name": link["name"], "token": link["token"]}
                for link in links
            ]
            r = await a.post(f"/api/sessions/{sid}/status", json={"status": "live"})
            assert r.status_code == 200, r.text
        srv.stop()
        self.sid = sid
        self.mod_token = mod["token"]
        return self

    async def start(self) -> Convene:
        self.srv = on_server_cpu(
            lambda: ServerProcess(
                self.work, self.env, admin_token=self.admin_token, production=True
            ).start(timeout=60)
        )
        self.pid = self.srv.proc.pid
        self.log_path = self.srv.log_path
        self.urls = [
            (f"{self.srv.ws_url}/ws/sessions/{self.sid}?token={p['token']}", p["id"].encode())
            for p in self.people
        ]
        self.http = httpx.AsyncClient(
            base_url=self.srv.url, timeout=60, headers={"Authorization": f"Bearer {self.mod_token}"}
        )
        return self

    def backing_kib(self) -> dict[str, int]:
        """With PostgreSQL + Redis: the proportional set size of the PostgreSQL backends
        serving this run's database (their share of shared buffers included), and
        Redis's ``used_memory``; the latter is the whole shared Redis, so only its
        difference means anything."""
        url = self.env["CONVENE_DATABASE_URL"]
        if not url.startswith("postgresql"):
            return {}
        import psycopg
        import redis

        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            pids = [
                row[0]
                for row in c.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", (url.rsplit("/", 1)[1],)
                )
            ]
        with redis.Redis.from_url(self.env["CONVENE_REDIS_URL"]) as r:
            used = int(r.info("memory")["used_memory"]) // 1024
        return {"postgresql": sum(pss_kib(pid) for pid in pids), "redis": used}

    async def broadcast(self, text: str) -> None:
        r = await self.http.post(f"/api/sessions/{self.sid}/broadcast", json={"text": text})
        assert r.status_code == 201, r.text

    async def runtime(self) -> str:
        """Loop, HTTP parser and WebSocket protocol from /metrics, and how many sockets
        are on the fast send path; raises unless uvloop, httptools and all of them."""
        text = (await self.http.get("/metrics")).text
        info = re.search(r"^convene_runtime_info\{(.*)\} 1\.0$", text, re.M)
        labels = dict(re.findall(r'(\w+)="([^"]*)"', info[1])) if info else {}
        conns = float(re.search(r"^convene_connections (\S+)$", text, re.M)[1])
        fast = float(re.search(r"^convene_fast_path_connections (\S+)$", text, re.M)[1])
        said = (
            f"{labels.get('loop')}, {labels.get('http')}, {labels.get('ws')}; "
            f"{fast:.0f} of {conns:.0f} sockets on the fast path"
        )
        wanted = {"loop": "uvloop", "http": "HttpToolsProtocol", "ws": "FastWebSocketProtocol"}
        if labels != wanted or fast != conns or not conns:
            raise RuntimeError(f"Convene is not on the production fast path: {said}")
        return said

    async def stop(self) -> None:
        await self.http.aclose()
        self.srv.stop()


def pss_kib(pid: int) -> int:
    """A process's proportional set size (KiB); 0 once it has gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)


def production_settings() -> str:
    """The settings Convene runs with in the benchmark: the defaults of
    server/settings.py, which is what production runs unless told otherwise."""
    from server.settings import Settings

    fields = Settings.model_fields
    shown = [
        "poll_interval_s",
        "ws_queue_max",
        "ws_queue_bytes",
        "feed_recent_bytes",
        "ws_rate_per_s",
        "presence_ttl_s",
        "presence_renew_s",
        "log_format",
        "log_level",
    ]
    return ", ".join(f"{k}={fields[k].default}" for k in shown)


def client_procs(n: int) -> int:
    return 2 if n >= TWO_CLIENT_PROCS_FROM else 1


async def run_one(target: Target, n: int, broadcasts: int, clients: Workers) -> dict:
    t_start = time.monotonic()
    times, lost_broadcasts, runtime = [], 0, ""
    try:
        base = await target.rss_after_gc()
        backing0 = target.backing_kib()
        connect_s, failed, why = await clients.connect(
            target.urls, first_message=target.first_message
        )
        if failed:
            print(f"  {target.name}: {failed} clients did not connect: {why}", flush=True)
        await asyncio.sleep(SETTLE_S)
        runtime = await target.runtime()
        per_conn = (await target.rss_after_gc() - base) / n
        backing = {k: (v - backing0[k]) / n for k, v in target.backing_kib().items()}
        cpu0, wall0 = await clients.cpu(), time.monotonic()
        for k in range(broadcasts + 2):  # two warm-ups
            marker = f"fanout {k} {secrets.token_hex(6)}"
            took, missing = await clients.measure(
                k, marker, lambda m=marker: target.broadcast(m), LOSS_TIMEOUT_S
            )
            if missing:
                lost_broadcasts += 1
            elif k >= 2:
                times.append(took)
            await asyncio.sleep(0.05)
        cpu1, wall1 = await clients.cpu(), time.monotonic()
        stats = await clients.stats()
    finally:
        await clients.close_clients()
        await target.stop()
    connected = stats["clients"]
    result = {
        "server": target.name,
        "clients": n,
        "connect_s": connect_s,
        "kib_per_conn": per_conn,
        **{f"{k}_kib_per_conn": v for k, v in backing.items()},
        "p50": statistics.median(times) if times else float("inf"),
        "p99": pct(times, 0.99) if times else float("inf"),
        "failed": failed,
        # every broadcast (warm-ups too) should reach every connected client once
        "lost": (broadcasts + 2) * connected - stats["hits"],
        "lost_broadcasts": lost_broadcasts,
        "dropped": stats["dropped"],
        "client_cpu": sum(b - a for a, b in zip(cpu0, cpu1, strict=True)) / (wall1 - wall0),
        "client_cpu_max": max(b - a for a, b in zip(cpu0, cpu1, strict=True)) / (wall1 - wall0),
        "client_procs": len(cpu0),
        "took_s": time.monotonic() - t_start,
    }
    if runtime:
        result["runtime"] = runtime
    print(
        {k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()},
        flush=True,
    )
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


async def prepare_backends(
    n: int, backends: list[str], redis_url: str, dbs: contextlib.ExitStack
) -> dict[str, Convene]:
    """One prepared Convene per backend, by label; each PostgreSQL database is
    dropped when ``dbs`` closes."""
    convenes: dict[str, Convene] = {}
    for backend in backends:
        if backend == "sqlite":
            convenes["SQLite"] = await Convene.prepare(n)
        else:
            url = dbs.enter_context(FreshDatabase())
            convenes["PostgreSQL + Redis"] = await Convene.prepare(n, url, redis_url)
    return convenes


FLOORS = ["raw", "fastapi", "node"]
BUDGET_MIN = 45.0  # of make bench's 60: the rest is the round opening and the resume storm
BIG_RUNS = 3


def plan(n: int, runs: int, backends: list[str], floors: list[str]) -> tuple[list, list, int]:
    """Floors, Convene backends and paired runs at ``n`` clients. At 10,000 (target 2:
    one process against the FastAPI floor in the same run): the FastAPI floor and
    Convene on SQLite, and fewer runs, so that ``make bench`` stays within its hour."""
    if n >= BIG:
        return (
            [f for f in floors if f == "fastapi"],
            [b for b in backends if b == "sqlite"] or backends[:1],
            min(runs, BIG_RUNS),
        )
    return floors, backends, runs


def estimate_s(results: list[dict], n: int, servers: int) -> float | None:
    """Seconds one run of ``servers`` servers at ``n`` clients should take, scaled
    linearly from the largest size measured so far (connecting and fanning out both
    grow with N)."""
    done = [r for r in results if r["clients"] < n]
    if not done:
        return None
    m = max(r["clients"] for r in done)
    rows = [r for r in done if r["clients"] == m]
    per_server = statistics.mean(r["took_s"] for r in rows)
    return per_server * servers * n / m


async def main(
    sizes: list[int],
    broadcasts: int,
    backends: list[str],
    redis_url: str,
    runs: int,
    budget_min: float = BUDGET_MIN,
    quick: bool = False,
) -> tuple[list, list[str]]:
    began = time.monotonic()
    notes: list[str] = []

    def note(text: str) -> None:
        print(text, flush=True)
        notes.append(text)

    if quick:
        note(
            "BENCH_QUICK=1: the 1,000-client rows only; 10,000 on one process (target 2), "
            "and the connect storm and memory at 5,000 (targets 3 and 4) not measured."
        )
    limit = raise_fd_limit(max(sizes))
    note(f"RLIMIT_NOFILE raised to {limit} (inherited by the servers and the clients).")
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, CLIENT_CPU)
    floors = [k for k in FLOORS if k != "node" or _node_ready()]
    if "node" not in floors:
        note("Node `ws` floor left out: node or bench/node_modules/ws missing.")
    if runs < 5:
        note(f"{runs} paired runs (--runs): fewer than the 5 a figure needs.")
    results: list[dict] = []
    for n in sizes:
        kinds, n_backends, n_runs = plan(n, runs, backends, floors)
        servers = len(kinds) + len(n_backends)
        if n >= BIG and n_runs < runs:
            per_run = estimate_s(results, n, servers)
            left = budget_min * 60 - (time.monotonic() - began)
            est = (
                f"one run of {servers} servers at {n:,} is estimated at {per_run / 60:.1f} "
                f"min from the smaller rows, so {runs} runs would take {runs * per_run / 60:.0f}"
                f" min against {left / 60:.0f} min left of this benchmark's {budget_min:.0f}"
                if per_run is not None
                else f"no smaller row was measured to estimate a run at {n:,}"
            )
            note(
                f"{n:,} clients: {n_runs} paired runs instead of {runs}, the FastAPI floor "
                f"and Convene on {' and '.join(n_backends)} only (what target 2 compares), "
                f"to keep `make bench` within 60 minutes on 2 cores ({est})."
            )
            if per_run is not None and n_runs * per_run > left:
                note(f"{n:,} clients: even {n_runs} runs may overrun the budget.")
        procs = client_procs(n)
        note(
            f"{n:,} clients: {procs} client process{'es' if procs > 1 else ''} on CPU 1"
            + (", so that one client loop does not become the limit" if procs > 1 else "")
            + "."
        )
        clients = await Workers(procs).start()
        dbs = contextlib.ExitStack()
        try:
            convenes = await prepare_backends(n, n_backends, redis_url, dbs)
            for run in range(n_runs):
                for kind in kinds:
                    r = await run_one(await Floor(kind, n).ready(), n, broadcasts, clients)
                    results.append(r | {"run": run})
                for label, c in convenes.items():
                    r = await run_one(await c.start(), n, broadcasts, clients)
                    results.append(r | {"run": run, "server": f"convene ({label})"})
        finally:
            await clients.stop()
            dbs.close()
    note(f"The benchmark took {(time.monotonic() - began) / 60:.1f} minutes.")
    return results, notes


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


# ---- figures and targets ----------------------------------------------------------------


def _runs_of(results: list[dict], n: int, server: str) -> dict[int, dict]:
    return {r["run"]: r for r in results if r["clients"] == n and r["server"] == server}


def ratios(results: list[dict], n: int, server: str, floor: str, key: str) -> list[float]:
    """``server``'s ``key`` over ``floor``'s, run by run (paired runs only)."""
    mine, theirs = _runs_of(results, n, server), _runs_of(results, n, floor)
    return [
        mine[run][key] / theirs[run][key]
        for run in sorted(mine)
        if run in theirs and theirs[run][key]
    ]


def values(results: list[dict], n: int, server: str, key: str) -> list[float]:
    return [r[key] for r in _runs_of(results, n, server).values()]


def spread(vals: list[float], fmt: str = ".2f", unit: str = "") -> str:
    if not vals:
        return "n/a"
    med, lo, hi = statistics.median(vals), min(vals), max(vals)
    return f"{med:{fmt}}{unit} ({lo:{fmt}}-{hi:{fmt}})"


def targets(results: list[dict]) -> list[tuple[str, str, str, str, str]]:
    """Each target of issue 19 this benchmark measures: (target, where, measure,
    median (range) over the paired runs, verdict against the limit)."""
    rows = []
    sizes = sorted({r["clients"] for r in results})

    def convenes(n: int) -> list[str]:
        at_n = [r["server"] for r in results if r["clients"] == n]
        return [s for s in dict.fromkeys(at_n) if s.startswith("convene")]

    def check(target, where, measure, vals, limit, fmt=".2f", unit="x", below=False):
        rel = "<" if below else "<="
        if not vals:
            rows.append((target, where, measure, "not measured", f"{rel} {limit}{unit}"))
            return
        med = statistics.median(vals)
        ok = med < limit if below else med <= limit
        every = (max(vals) < limit if below else max(vals) <= limit) if ok else False
        verdict = ("holds" + (" in every run" if every else " in the median")) if ok else "missed"
        rows.append(
            (target, where, measure, spread(vals, fmt, unit), f"{rel} {limit}{unit}: {verdict}")
        )

    for n in [n for n in sizes if n < BIG]:
        for c in convenes(n):
            where = f"{n:,}, {c}"
            for key in ("p50", "p99"):
                check("1 fan-out", where, f"{key} / raw", ratios(results, n, c, "raw", key), 1.3)
                check(
                    "1 fan-out",
                    where,
                    f"{key} / FastAPI",
                    ratios(results, n, c, "fastapi", key),
                    1.0,
                )
            if n >= 5000:
                check(
                    "1 stretch", where, "p50 / Node `ws`", ratios(results, n, c, "node", "p50"), 1.0
                )
    for n in [n for n in sizes if n >= BIG]:
        for c in convenes(n):
            where = f"{n:,}, {c}"
            check(
                "2 one process",
                where,
                "p99 / FastAPI",
                ratios(results, n, c, "fastapi", "p99"),
                1.2,
            )
            lost = values(results, n, c, "lost")
            failed = values(results, n, c, "failed")
            total = [a + b for a, b in zip(lost, failed, strict=True)]
            check("2 one process", where, "frames lost + clients refused", total, 0, ".0f", "")
            check(
                "2 stretch",
                where,
                "p99 (ms)",
                [v * 1000 for v in values(results, n, c, "p99")],
                250,
                ".0f",
                " ms",
                below=True,
            )
    # the storm and memory targets are at 5,000; without that row, the largest below
    # 10,000 as an indication
    storm = [n for n in sizes if n == 5000] or [n for n in sizes if n < BIG][-1:]
    for n in storm:
        at = "" if n == 5000 else " (indication: the target is at 5,000)"
        for c in convenes(n):
            where = f"{n:,}, {c}{at}"
            check(
                "3 connect storm",
                where,
                "all hold their snapshot (s)",
                values(results, n, c, "connect_s"),
                10,
                ".1f",
                " s",
            )
            check(
                "3 connect storm",
                where,
                "/ FastAPI's handshakes",
                ratios(results, n, c, "fastapi", "connect_s"),
                2.5,
            )
            check(
                "4 idle memory",
                where,
                "KiB a connection / FastAPI's",
                ratios(results, n, c, "fastapi", "kib_per_conn"),
                1.0,
            )
            check(
                "4 stretch",
                where,
                "KiB a connection",
                values(results, n, c, "kib_per_conn"),
                24,
                ".1f",
                " KiB",
            )
    return rows


def report(results: list[dict], broadcasts: int, load: str, notes: list[str]) -> str:
    runs = max(
        len({r["run"] for r in results if r["clients"] == n})
        for n in {r["clients"] for r in results}
    )
    convene_runtime = next((r["runtime"] for r in results if r.get("runtime")), "not seen")
    lines = [
        "## Broadcast fan-out (bench/fanout.py)\n",
        "Generated by `make bench` (`python -m bench.fanout`); every run replaces this section.\n",
        f"{machine()}; load average during the run {load}. Server on CPU 0, clients on "
        f"CPU 1 (two client processes from {TWO_CLIENT_PROCS_FROM:,} clients), all on "
        f"uvloop; up to {runs} paired, interleaved runs, each of {broadcasts} broadcasts "
        "after two warm-ups, from the harness sending the trigger until the last client "
        "has the frame. Rows: median over the runs (range). Memory: RSS after a SIGUSR2 "
        "garbage collection and C heap trim with the clients connected, minus the same "
        "before, over N; "
        "with PostgreSQL + Redis also the PostgreSQL backends' proportional set size "
        "(shared buffers' share included) and Redis's `used_memory`, the same way. "
        "Lost: broadcast frames a connected client did not have within "
        f"{LOSS_TIMEOUT_S:.0f} s, over all runs (refused: clients that could not connect)."
        "\n",
        f"Convene: `convene serve` with the settings' defaults ({production_settings()}); "
        "only the database URL, Redis URL and prefix, admin token and data directory set. "
        f"/metrics during the run: {convene_runtime}.\n",
        *[f"- {text}" for text in notes],
        "",
        "| clients | server | connect all (s) | idle KiB / connection | p50 (ms) | p99 (ms) "
        "| lost / refused | client CPU | PostgreSQL, Redis KiB / connection |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    servers = list(dict.fromkeys(r["server"] for r in results))
    for n in sorted({r["clients"] for r in results}):
        for server in servers:
            rows = [r for r in results if r["clients"] == n and r["server"] == server]
            if not rows:
                continue

            def cell(key, scale=1.0, fmt=".1f", rows=rows):
                return spread([r[key] * scale for r in rows], fmt)

            lost = sum(r["lost"] for r in rows)
            refused = sum(r["failed"] for r in rows)
            backing = (
                f"{cell('postgresql_kib_per_conn')}, {cell('redis_kib_per_conn', fmt='.2f')}"
                if "postgresql_kib_per_conn" in rows[0]
                else "-"
            )
            lines.append(
                f"| {n} | {server} | {cell('connect_s')} | {cell('kib_per_conn')} | "
                f"{cell('p50', 1000)} | {cell('p99', 1000)} | {lost} / {refused} | "
                f"{cell('client_cpu', 100, '.0f')} % | {backing} |"
            )
    lines += [
        "\nTargets of issue 19 measured here (median of the per-run ratios, range); the "
        "round opening (5) and the resume storm (6) are bench/breakouts.py and "
        "bench/resume.py:\n",
        "| target | clients, server | measure | median (range) | limit: verdict |",
        "|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in targets(results)],
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    quick = os.environ.get("BENCH_QUICK") == "1"
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--clients", type=int, nargs="+", default=[1000] if quick else [1000, 5000, BIG]
    )
    ap.add_argument("--broadcasts", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    backend_args(ap)
    ap.add_argument("--budget-min", type=float, default=BUDGET_MIN)
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    results, notes = uvloop.run(
        main(
            args.clients,
            args.broadcasts,
            args.backends,
            args.redis_url,
            args.runs,
            args.budget_min,
            quick,
        )
    )
    load = f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1-minute)"
    section = report(results, args.broadcasts, load, notes)
    print(section)
    if not args.no_write:
        write_section("## Broadcast fan-out", section)
