"""Opening a breakout round vs a broadcast, with the same connected clients.

N participants (default 1,000) connect to one live session of a real Convene
server (a subprocess on SQLite). In the same run we measure, over R rounds:
- broadcast: from the REST call until every client has the message;
- open: from the REST call that opens a round of 100 rooms until every client
  has its own ``room.moved``.
Target (issue 5): opening costs at most 2x a broadcast. Results go to
docs/performance.md (section "Breakout round opening").

Run: ``python -m bench.breakouts [--clients 1000] [--rounds 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import resource
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Client:
    def __init__(self, conn, person_id: str):
        self.conn = conn
        self.person_id = person_id
        self.waiters: list[tuple[object, asyncio.Future]] = []
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for raw in self.conn:
            frame = orjson.loads(raw)
            now = time.perf_counter()
            for pred, fut in list(self.waiters):
                if not fut.done() and pred(frame):
                    fut.set_result(now)
                    self.waiters.remove((pred, fut))

    def expect(self, pred) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.waiters.append((pred, fut))
        return fut


async def main(n: int, rounds: int) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n * 2 + 1000)), hard))
    work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
    env = {"CONVENE_DATABASE_URL": f"sqlite:///{work}/bench.db", "CONVENE_LOG_LEVEL": "WARNING"}
    srv = ServerProcess(work, env).start()
    try:
        async with httpx.AsyncClient(base_url=srv.url, timeout=60,
                                     headers={"Authorization": f"Bearer {srv.admin_token}"}) as a:
            event = (await a.post("/api/events", json={"title": "Bench"})).json()
            eid = event["id"]
            session = (await a.post(f"/api/events/{eid}/sessions", json={
                "title": "Plenary", "start": "2030-01-01T10:00", "end": "2030-01-01T12:00"})).json()
            sid = session["id"]
            mod = (await a.post(f"/api/events/{eid}/people",
                                json={"name": "Moderator", "role": "moderator"})).json()
            people = []
            for i in range(n):
                r = await a.post(f"/api/events/{eid}/people",
                                 json={"name": f"P{i}", "role": "participant"})
                people.append(r.json())
            await a.post(f"/api/sessions/{sid}/status", json={"status": "live"})
        clients = []
        t0 = time.perf_counter()
        for p in people:
            conn = await connect(f"{srv.ws_url}/ws/sessions/{sid}?token={p['token']}",
                                 max_queue=None, ping_interval=None, open_timeout=60)
            await conn.recv()  # snapshot
            clients.append(Client(conn, p["id"]))
        connect_s = time.perf_counter() - t0
        api = httpx.AsyncClient(base_url=srv.url, timeout=60,
                                headers={"Authorization": f"Bearer {mod['token']}"})
        bcast, opens = [], []
        for k in range(rounds):
            text = f"note {k} {secrets.token_hex(4)}"
            futs = [c.expect(lambda f, t=text: f.get("type") == "broadcast.message"
                             and f["data"]["text"] == t) for c in clients]
            start = time.perf_counter()
            r = await api.post(f"/api/sessions/{sid}/broadcast", json={"text": text})
            assert r.status_code == 201, r.text
            bcast.append(max(await asyncio.gather(*futs)) - start)

            rnd = (await api.post(f"/api/sessions/{sid}/breakouts", json={
                "count": 100, "strategy": "balanced", "countdown_s": 0})).json()
            futs = [c.expect(lambda f, me=c.person_id: f.get("type") == "room.moved"
                             and f["data"]["person_id"] == me) for c in clients]
            start = time.perf_counter()
            r = await api.post(f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
            assert r.status_code == 200, r.text
            opens.append(max(await asyncio.gather(*futs)) - start)
            back = [c.expect(lambda f: f.get("type") == "breakout.closed") for c in clients]
            await api.post(f"/api/sessions/{sid}/breakouts/{rnd['id']}/close")
            await asyncio.gather(*back)
        await api.aclose()
        for c in clients:
            await c.conn.close()
        return {
            "clients": n,
            "rounds": rounds,
            "connect_s": connect_s,
            "broadcast_p50": statistics.median(bcast),
            "broadcast_p99": pct(bcast, 0.99),
            "open_p50": statistics.median(opens),
            "open_p99": pct(opens, 0.99),
        }
    finally:
        srv.stop()


def write(result: dict) -> None:
    ratio = result["open_p50"] / result["broadcast_p50"]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    section = (
        "## Breakout round opening (bench/breakouts.py)\n\n"
        f"{dt.date.today().isoformat()}, {os.cpu_count()} cores ({cpu}), Python "
        f"{platform.python_version()}, SQLite, one server process, clients in another.\n\n"
        f"{result['clients']} participants, a round of 100 rooms opened {result['rounds']} "
        "times (`balanced`), each beside a broadcast to the same clients.\n\n"
        "| measure | p50 (ms) | p99 (ms) |\n|---|---|---|\n"
        f"| broadcast, call to last client | {result['broadcast_p50'] * 1000:.0f} | "
        f"{result['broadcast_p99'] * 1000:.0f} |\n"
        f"| open round, call to last client's own `room.moved` | "
        f"{result['open_p50'] * 1000:.0f} | {result['open_p99'] * 1000:.0f} |\n\n"
        f"Open / broadcast (p50): **{ratio:.2f}x** (target: at most 2x). Connecting "
        f"{result['clients']} clients one after another took {result['connect_s']:.1f} s.\n"
    )
    path = ROOT / "docs" / "performance.md"
    text = path.read_text() if path.exists() else "# Performance\n\n"
    marker = "## Breakout round opening"
    if marker in text:
        head, _, rest = text.partition(marker)
        tail = rest.split("\n## ", 1)
        text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
    print(section)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--no-write", action="store_true", help="print, do not touch the docs")
    args = ap.parse_args()
    result = asyncio.run(main(args.clients, args.rounds))
    if args.no_write:
        print(result)
    else:
        write(result)
