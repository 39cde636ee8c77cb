"""Opening a breakout round vs a broadcast, with the same connected clients.

N participants (default 1,000) connect to one live session of a real Convene
server (a subprocess on SQLite). In the same run we measure, over R rounds:
- broadcast: from the REST call until every client has the message;
- open: from the REST call that opens a round of 100 rooms until every client
  has its own ``room.moved``.
Target (issue 5): opening costs at most 2x a broadcast. Results go to
docs/performance.md (section "Breakout round opening").

Run: ``python -m bench.breakouts [--clients 1000] [--rounds 10]``. The clients are
the lean ones of bench/clients.py, as in bench/fanout.py.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time

from bench.clients import ROOT, Fleet, machine, pct, raise_fd_limit, write_section
from bench.fanout import Convene

sys.path.insert(0, str(ROOT))

SETTLE_S = 1.5


def start_profiler(pid: int, out: str | None) -> subprocess.Popen | None:
    """py-spy on the server for the measured phase only (not the connections)."""
    if out is None:
        return None
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
    cmd = [spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "-o", out]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(proc: subprocess.Popen | None) -> None:
    if proc is not None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


async def main(n: int, rounds: int, profile: str | None = None) -> dict:
    raise_fd_limit(n)
    target = await Convene.create(n)
    fleet = Fleet()
    api, sid = target.http, target.sid
    bcast, opens, stored = [], [], []
    spy = None
    try:
        connect_s = await fleet.connect(target.urls, first_message=True)
        spy = start_profiler(target.pid, profile)
        for k in range(rounds):
            # let the last close's aftermath (coalesced counts, a second's gaps) pass, so
            # each broadcast is measured on a quiet server, as the opening is
            await asyncio.sleep(SETTLE_S)
            needle = f"note {k} {secrets.token_hex(4)}".encode()
            bcast.append(
                await fleet.measure(
                    lambda c, p, needle=needle: needle in p,
                    lambda needle=needle: target.broadcast(needle.decode()),
                )
            )
            r = await api.post(
                f"/api/sessions/{sid}/breakouts",
                json={"count": 100, "strategy": "balanced", "countdown_s": 0},
            )
            assert r.status_code == 201, r.text
            rid = r.json()["id"]

            async def call(path: str, rid=rid) -> None:
                t0 = time.perf_counter()
                r = await api.post(f"/api/sessions/{sid}/breakouts/{rid}/{path}")
                assert r.status_code == 200, r.text
                if path == "open":
                    stored.append(time.perf_counter() - t0)

            # each client's own room.moved (its person id is its tag)
            opens.append(
                await fleet.measure(
                    lambda c, p: b'"type":"room.moved"' in p and c.tag in p,
                    lambda: call("open"),
                )
            )
            await fleet.measure(
                lambda c, p: b'"type":"breakout.closed"' in p, lambda: call("close")
            )
    finally:
        stop_profiler(spy)
        fleet.close()
        await target.stop()
    return {
        "clients": n,
        "rounds": rounds,
        "connect_s": connect_s,
        "broadcast_p50": statistics.median(bcast),
        "broadcast_p99": pct(bcast, 0.99),
        "open_p50": statistics.median(opens),
        "open_p99": pct(opens, 0.99),
        "stored_p50": statistics.median(stored),
    }


def report(result: dict) -> str:
    ratio = result["open_p50"] / result["broadcast_p50"]
    return (
        "## Breakout round opening (bench/breakouts.py)\n\n"
        f"{machine()}; SQLite, one server process, clients in another.\n\n"
        f"{result['clients']} participants, a round of 100 rooms opened {result['rounds']} "
        "times (`balanced`), each beside a broadcast to the same clients.\n\n"
        "| measure | p50 (ms) | p99 (ms) |\n|---|---|---|\n"
        f"| broadcast, call to last client | {result['broadcast_p50'] * 1000:.0f} | "
        f"{result['broadcast_p99'] * 1000:.0f} |\n"
        f"| open round, call to last client's own `room.moved` | "
        f"{result['open_p50'] * 1000:.0f} | {result['open_p99'] * 1000:.0f} |\n"
        f"| of which the open call itself (stored, answered) | "
        f"{result['stored_p50'] * 1000:.0f} | |\n\n"
        f"Open / broadcast (p50): **{ratio:.2f}x** (target: at most 2x).\n"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--no-write", action="store_true", help="print, do not touch the docs")
    ap.add_argument("--profile", metavar="FILE", help="py-spy raw samples of the server")
    args = ap.parse_args()
    section = report(asyncio.run(main(args.clients, args.rounds, args.profile)))
    print(section)
    if not args.no_write:
        write_section("## Breakout round opening", section)
