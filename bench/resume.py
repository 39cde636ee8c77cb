"""The resume storm (issue 19, target 6): after a breakout round opening, every client
reconnects with ``resume_from`` at once.

N participants (default 1,000) of one live session of a real ``convene serve``
(production settings, pinned to CPU 0; the lean clients of bench/clients.py on CPU 1,
uvloop). Each run:

1. all N connect and take their snapshot; a broadcast marks K, the seq every client
   has processed;
2. a round of 100 rooms opens (``balanced``); every client has its own ``room.moved``;
3. every socket drops; once the server has stored the departures, a second broadcast
   marks the end of what each client missed;
4. all N reconnect at once with ``resume_from=K``: timed from the first handshake
   until every client has its replay, whose last event is that second broadcast.
   Each client's replay must hold its own ``room.moved`` (counted, not assumed).

Runs alternate between SQLite and PostgreSQL + Redis; each figure is the median and
range over ``--runs`` runs (at least 3). ``BENCH_QUICK=1``: 3 runs. Target: every
client has its replay within 5 s.

Run: ``python -m bench.resume [--clients 1000] [--runs 5] [--backends sqlite postgresql]``;
``--profile PREFIX`` records the server's reconnect phase with py-spy, a file per run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import statistics
import time

import uvloop

from bench.breakouts import start_profiler, stop_profiler
from bench.clients import Fleet, Wait, backend_args, machine, raise_fd_limit, write_section
from bench.fanout import CLIENT_CPU, Convene, prepare_backends

SETTLE_S = 3.0  # after the drop: departures (presence batches, coalesced news) stored
TARGET_S = 5.0
SEQ = re.compile(rb'"seq":(\d+)')


async def _marker(target: Convene, fleet: Fleet) -> int:
    """Broadcast a marker every connected client must receive; its seq."""
    text = f"mark {secrets.token_hex(6)}"
    needle = text.encode()
    seqs: list[int] = []

    def match(c, p: bytes) -> bool:
        if needle not in p:
            return False
        if not seqs:
            seqs.append(int(SEQ.search(p).group(1)))
        return True

    await fleet.measure(match, lambda: target.broadcast(text))
    return seqs[0]


async def run_one(target: Convene, n: int, profile: str | None = None) -> dict:
    fleet = Fleet()
    spy = None
    api, sid = target.http, target.sid
    try:
        await fleet.connect(target.urls, first_message=True)
        await asyncio.sleep(SETTLE_S)
        k = await _marker(target, fleet)
        r = await api.post(
            f"/api/sessions/{sid}/breakouts",
            json={"count": 100, "strategy": "balanced", "countdown_s": 0},
        )
        assert r.status_code == 201, r.text
        rid = r.json()["id"]

        async def call(path: str) -> None:
            r = await api.post(f"/api/sessions/{sid}/breakouts/{rid}/{path}")
            assert r.status_code == 200, r.text

        opened = await fleet.measure(
            lambda c, p: b'"type":"room.moved"' in p and c.tag in p, lambda: call("open")
        )
        fleet.close()
        await asyncio.sleep(SETTLE_S)
        end_text = f"end {secrets.token_hex(6)}"
        r = await api.post(f"/api/sessions/{sid}/broadcast", json={"text": end_text})
        assert r.status_code == 201, r.text
        end = end_text.encode()
        moved: set[bytes] = set()

        def replayed(c, p: bytes) -> bool:
            if b'"type":"room.moved"' in p and c.tag in p:
                moved.add(c.tag)
            return end in p

        urls = [(f"{u}&resume_from={k}", tag) for u, tag in target.urls]
        fleet.wait = Wait(replayed, n)
        spy = start_profiler(target.pid, profile)
        t0 = time.perf_counter()
        await fleet.connect(urls, first_message=False)
        done = await asyncio.wait_for(fleet.wait.done, 120)
        fleet.wait = None
        stop_profiler(spy)
        spy = None
        resumed = done - t0
        assert len(moved) == n, f"{n - len(moved)} replays without their own room.moved"
        await fleet.measure(lambda c, p: b'"type":"breakout.closed"' in p, lambda: call("close"))
    finally:
        stop_profiler(spy)
        fleet.close()
        await target.stop()
    result = {"clients": n, "k": k, "open_s": opened, "resume_s": resumed}
    print(result, flush=True)
    return result


async def main(
    n: int, runs: int, backends: list[str], redis_url: str, profile: str | None = None
) -> dict[str, list]:
    raise_fd_limit(n)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, CLIENT_CPU)
    dbs = contextlib.ExitStack()
    results: dict[str, list] = {}
    try:
        convenes = await prepare_backends(n, backends, redis_url, dbs)
        for run in range(runs):
            for label, c in convenes.items():
                out = f"{profile}.{label.split()[0].lower()}.{run}" if profile else None
                results.setdefault(label, []).append(await run_one(await c.start(), n, out))
    finally:
        dbs.close()
    return results


def report(results: dict[str, list], load: str) -> str:
    def cell(rows, key):
        vals = [r[key] for r in rows]
        return f"{statistics.median(vals):.2f} ({min(vals):.2f}-{max(vals):.2f})"

    lines = [
        "## Resume storm (bench/resume.py)\n",
        f"{machine()}; load average during the run {load}. Server on CPU 0 (production "
        "settings), clients on CPU 1, uvloop. Each run: N clients connected, a round of "
        "100 rooms opened, every socket dropped, then all N reconnect at once with "
        "`resume_from` = a seq before the opening; timed from the first handshake until "
        "every client has its replay (its last event: a broadcast sent after the drop). "
        "Median (range) over the runs, in seconds.\n",
        "| clients | server | runs | open round (s) | all replayed (s) |",
        "|---|---|---|---|---|",
    ]
    for label, rows in results.items():
        lines.append(
            f"| {rows[0]['clients']} | convene ({label}) | {len(rows)} | "
            f"{cell(rows, 'open_s')} | {cell(rows, 'resume_s')} |"
        )
    lines.append("\nTarget (issue 19, 6): every client has its replay within 5 s:\n")
    for label, rows in results.items():
        med = statistics.median(r["resume_s"] for r in rows)
        verdict = "met" if max(r["resume_s"] for r in rows) <= TARGET_S else "missed"
        if med <= TARGET_S < max(r["resume_s"] for r in rows):
            verdict = "met in the median, not in every run"
        lines.append(
            f"- {rows[0]['clients']} clients, convene ({label}): {cell(rows, 'resume_s')} s "
            f"(<= {TARGET_S:.0f} s): {verdict}"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    quick = os.environ.get("BENCH_QUICK") == "1"
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3 if quick else 5)
    backend_args(ap)
    ap.add_argument(
        "--profile", metavar="PREFIX", help="py-spy raw samples of the server's reconnect phase"
    )
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    results = uvloop.run(main(args.clients, args.runs, args.backends, args.redis_url, args.profile))
    load = f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1-minute)"
    section = report(results, load)
    print(section)
    if not args.no_write:
        write_section("## Resume storm", section)
