"""Connect storm: N participants of one live session connect at once; measured are the
seconds until every one holds its snapshot and the server's CPU seconds over the storm
(per handshake). The server is a real ``convene serve`` with production settings on
SQLite (``--backend postgresql``: a fresh PostgreSQL database and Redis), pinned to
CPU 0, the clients to CPU 1 (as in bench/fanout.py).

Run: ``python -m bench.connect_storm [--clients 1000] [--runs 3] [--profile FILE]
[--baseline DIR] [--backend sqlite|postgresql]`` (``--profile``: py-spy records the
server during the first run's storm; ``--baseline``: runs alternate with a server from
DIR, e.g. a ``git archive`` of an earlier commit).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import uvloop

from bench.clients import Fleet, raise_fd_limit
from bench.fanout import CLIENT_CPU, Convene, prepare_backends


def cpu_s(pid: int) -> float:
    """The process's user + system CPU seconds (all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def storm(c: Convene, profile: str | None, code: str | None = None) -> dict:
    env = c.env
    if code:  # another checkout's server (the same database and people)
        c.env = {**env, "PYTHONPATH": code}
    try:
        await c.start()
    finally:
        c.env = env
    spy = None
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if profile and Path(py_spy).exists():
        spy = subprocess.Popen(
            [py_spy, "record", "-r", "250", "-f", "raw", "-o", profile, "-p", str(c.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)
    fleet = Fleet()
    try:
        cpu0 = cpu_s(c.pid)
        connect_s = await fleet.connect(c.urls, first_message=True)
        cpu1 = cpu_s(c.pid)
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=60)
        fleet.close()
        await c.stop()
    out = {
        "code": code or "this tree",
        "connect_s": connect_s,
        "cpu_ms_per_handshake": (cpu1 - cpu0) * 1000 / len(c.urls),
        "load": os.getloadavg()[0],
    }
    print(out, flush=True)
    return out


async def main(
    n: int,
    runs: int,
    profile: str | None,
    baseline: str | None,
    backend: str,
    redis_url: str,
    profile_run: int = 0,
) -> None:
    raise_fd_limit(n)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, CLIENT_CPU)
    with contextlib.ExitStack() as dbs:
        (c,) = (await prepare_backends(n, [backend], redis_url, dbs)).values()
        await _runs(c, runs, profile, baseline, profile_run)


async def _runs(
    c: Convene, runs: int, profile: str | None, baseline: str | None, profile_run: int
) -> None:
    codes = [baseline, None] if baseline else [None]
    rows = []
    for k in range(runs):  # paired and interleaved when there is a baseline
        for code in codes:
            rows.append(await storm(c, profile if k == profile_run else None, code))
    for code in codes:
        mine = [r for r in rows if r["code"] == (code or "this tree")]
        for key in ("connect_s", "cpu_ms_per_handshake"):
            vals = [r[key] for r in mine]
            print(
                f"{code or 'this tree'} {key}: median {statistics.median(vals):.2f}"
                f" ({min(vals):.2f}-{max(vals):.2f})"
            )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile")
    ap.add_argument(
        "--profile-run", type=int, default=0, help="which run --profile records (0: newcomers)"
    )
    ap.add_argument("--baseline", help="a checkout (git archive) of the code to compare with")
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    a = ap.parse_args()
    print("load average", os.getloadavg())
    uvloop.run(
        main(a.clients, a.runs, a.profile, a.baseline, a.backend, a.redis_url, a.profile_run)
    )
    print("load average", os.getloadavg())
