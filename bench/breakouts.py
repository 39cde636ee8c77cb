"""Opening a breakout round vs a broadcast, with the same connected clients, in
paired, interleaved runs.

N participants (default 1,000) connect to one live session of a real ``convene
serve`` (production settings), on SQLite and on PostgreSQL + Redis in turn, ``--runs``
times (at least 5 for a figure). In each run, over R rounds, we measure, from the
harness sending the trigger:
- broadcast: until every client has the message;
- open: the REST call that opens a round of 100 rooms, until every client has its
  own ``room.moved``.
Per run we take p50 and p99 of each; the ratio open / broadcast is the median of
the per-run ratios, with its range. Target (issue 19, target 5): at most 3x on
SQLite, 4x on PostgreSQL + Redis; stretch 2x. Server on CPU 0, clients (uvloop) on
CPU 1, as in bench/fanout.py. ``BENCH_QUICK=1``: fewer rounds per run. Results go
to docs/performance.md (section "Breakout round opening").

Each span is also measured in the server's CPU time (/proc), which a loaded machine's
waiting does not inflate. ``--compare DIR``: another source tree's server (e.g. main,
``git archive`` unpacked) runs beside this one on the same data in every run, with
the per-run ratios this tree / before.

Run: ``python -m bench.breakouts [--clients 1000] [--rounds 10] [--runs 5]
[--compare DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time

import uvloop

from bench.clients import ROOT, Fleet, backend_args, machine, pct, raise_fd_limit, write_section
from bench.fanout import CLIENT_CPU, Convene, prepare_backends

sys.path.insert(0, str(ROOT))

SETTLE_S = 1.5
TARGETS = {"SQLite": 3.0, "PostgreSQL + Redis": 4.0}
STRETCH = 2.0


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) the process has used: a cost that a
    loaded machine's waiting does not inflate, unlike wall time (10 ms ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measured_cpu(pid: int, measure) -> tuple[float, float]:
    """``await measure`` (seconds until every client has it) and the server's CPU
    seconds from just before it until then."""
    before = cpu_s(pid)
    seconds = await measure
    return seconds, cpu_s(pid) - before


def start_profiler(pid: int, out: str | None) -> subprocess.Popen | None:
    """py-spy on the server for the measured phase only (not the connections)."""
    if out is None:
        return None
    spy = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    if not os.path.exists(spy):
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
    cmd = [spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "-o", out]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(proc: subprocess.Popen | None) -> None:
    if proc is not None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


async def run_one(target: Convene, rounds: int, profile: str | None = None) -> dict:
    """One run: connect everyone, then ``rounds`` times a broadcast and an opening
    (and the closing that puts everyone back, unmeasured)."""
    fleet = Fleet()
    api, sid = target.http, target.sid
    bcast, opens, stored, bcast_cpu, open_cpu = [], [], [], [], []
    spy = None
    try:
        connect_s = await fleet.connect(target.urls, first_message=True)
        spy = start_profiler(target.pid, profile)
        for k in range(rounds):
            # let the last close's aftermath (coalesced counts, a second's gaps) pass, so
            # each broadcast is measured on a quiet server, as the opening is
            await asyncio.sleep(SETTLE_S)
            needle = f"note {k} {secrets.token_hex(4)}".encode()
            seconds, cpu = await measured_cpu(
                target.pid,
                fleet.measure(
                    lambda c, p, needle=needle: needle in p,
                    lambda needle=needle: target.broadcast(needle.decode()),
                ),
            )
            bcast.append(seconds)
            bcast_cpu.append(cpu)
            await asyncio.sleep(SETTLE_S / 3)
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
            seconds, cpu = await measured_cpu(
                target.pid,
                fleet.measure(
                    lambda c, p: b'"type":"room.moved"' in p and c.tag in p,
                    lambda: call("open"),
                ),
            )
            opens.append(seconds)
            open_cpu.append(cpu)
            await fleet.measure(
                lambda c, p: b'"type":"breakout.closed"' in p, lambda: call("close")
            )
    finally:
        stop_profiler(spy)
        fleet.close()
        await target.stop()
    result = {
        "clients": len(target.urls),
        "rounds": rounds,
        "connect_s": connect_s,
        "broadcast_p50": statistics.median(bcast),
        "broadcast_p99": pct(bcast, 0.99),
        "open_p50": statistics.median(opens),
        "open_p99": pct(opens, 0.99),
        "stored_p50": statistics.median(stored),
        "broadcast_cpu": statistics.median(bcast_cpu),
        "open_cpu": statistics.median(open_cpu),
    }
    print(result, flush=True)
    return result


async def main(
    n: int,
    rounds: int,
    runs: int,
    backends: list[str],
    redis_url: str,
    profile: str | None = None,
    compare: str | None = None,
) -> list[dict]:
    """``runs`` paired runs: in each, every backend in turn (a fresh server process on
    the same data), so that the ratios of one run share the machine's state.
    ``compare``: a source tree (e.g. ``git archive main`` unpacked) whose server runs
    beside this one's in every run, on the same data, labelled ``[before]``."""
    raise_fd_limit(n)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, CLIENT_CPU)
    dbs = contextlib.ExitStack()
    results: list[dict] = []
    failed: list[tuple[int, str]] = []
    try:
        convenes = await prepare_backends(n, backends, redis_url, dbs)
        if compare:
            for label, c in list(convenes.items()):
                before = copy.copy(c)
                before.env = {**c.env, "PYTHONPATH": os.path.abspath(compare)}
                convenes[f"{label} [before]"] = before
        for run in range(runs):
            for label, c in convenes.items():
                prof = f"{profile}.{label.split()[0].lower()}.{run}" if profile else None
                try:
                    r = await run_one(await c.start(), rounds, prof)
                except (TimeoutError, AssertionError) as exc:
                    # a run that could not finish (e.g. a shared PostgreSQL out of
                    # connections) is reported as failed, not silently dropped
                    print(f"run {run} on {label} failed: {exc!r}", flush=True)
                    failed.append((run, label))
                    continue
                results.append(r | {"run": run, "backend": label})
    finally:
        dbs.close()
    for run, label in failed:
        results.append({"run": run, "backend": label, "failed": True})
    return results


def _spread(values: list[float], fmt: str = ".0f", scale: float = 1.0) -> str:
    vals = [v * scale for v in values]
    return f"{statistics.median(vals):{fmt}} ({min(vals):{fmt}}-{max(vals):{fmt}})"


def report(results: list[dict], load: str) -> str:
    failed = [r for r in results if r.get("failed")]
    results = [r for r in results if not r.get("failed")]
    runs = len({r["run"] for r in results})
    first = results[0]
    lines = [
        "## Breakout round opening (bench/breakouts.py)\n",
        f"{machine()}; load average during the run {load}. Production settings; server "
        f"on CPU 0, clients on CPU 1 (uvloop). {first['clients']} participants; in each "
        f"of {runs} paired, interleaved runs a round of 100 rooms is opened "
        f"{first['rounds']} times (`balanced`), each beside a broadcast to the same "
        "clients; from the harness sending the trigger until the last client has the "
        "message (broadcast) or its own `room.moved` (open). Server CPU: the server "
        "process's CPU time (all threads, /proc) over the same span, median per run; "
        "unlike wall time, a loaded machine's waiting does not inflate it. Rows: median "
        "over the runs (range).\n",
        "| backend | broadcast p50 (ms) | broadcast p99 (ms) | open p50 (ms) | open p99 (ms) "
        "| open call (ms) | server CPU: broadcast (ms) | server CPU: open (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    backends = list(dict.fromkeys(r["backend"] for r in results))
    for b in backends:
        rows = [r for r in results if r["backend"] == b]
        cells = [
            _spread([r[k] for r in rows], scale=1000)
            for k in (
                "broadcast_p50",
                "broadcast_p99",
                "open_p50",
                "open_p99",
                "stored_p50",
                "broadcast_cpu",
                "open_cpu",
            )
        ]
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    if failed:
        lines.append(
            "\nRuns that did not finish (not in the figures): "
            + ", ".join(f"run {r['run']} on {r['backend']}" for r in failed)
        )
    lines.append("\nTargets (issue 19, target 5), median of the per-run ratios (range):\n")
    for b in backends:
        rows = [r for r in results if r["backend"] == b]
        p50 = _spread([r["open_p50"] / r["broadcast_p50"] for r in rows], ".2f")
        p99 = _spread([r["open_p99"] / r["broadcast_p99"] for r in rows], ".2f")
        cpu = _spread([r["open_cpu"] / max(r["broadcast_cpu"], 0.01) for r in rows], ".1f")
        lines.append(
            f"- {b}: open / broadcast p50 {p50.replace(' (', 'x (')}, "
            f"p99 {p99.replace(' (', 'x (')} (<= {TARGETS[b.split(' [')[0]]:.0f}x; "
            f"stretch {STRETCH:.0f}x); server CPU open / broadcast {cpu.replace(' (', 'x (')}"
        )
    for b in backends:
        if f"{b} [before]" in backends:
            lines.append(f"\n{b}, this tree / [before], median of the per-run ratios (range):\n")
            for k, what in (
                ("open_p50", "open p50"),
                ("stored_p50", "open call"),
                ("open_cpu", "server CPU per open"),
            ):
                pairs = [
                    (r[k], o[k])
                    for r in results
                    if r["backend"] == b
                    for o in results
                    if o["backend"] == f"{b} [before]" and o["run"] == r["run"] and o[k] > 0
                ]
                if pairs:
                    ratio = _spread([a / z for a, z in pairs], ".2f")
                    lines.append(f"- {what}: {ratio.replace(' (', 'x (')}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    quick = os.environ.get("BENCH_QUICK") == "1"
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=4 if quick else 10, help="per run")
    ap.add_argument("--runs", type=int, default=5)
    backend_args(ap)
    ap.add_argument("--profile", metavar="FILE", help="py-spy raw samples of the server")
    ap.add_argument(
        "--compare",
        metavar="DIR",
        help="another source tree run beside this one in every run (before/after)",
    )
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    results = uvloop.run(
        main(
            args.clients,
            args.rounds,
            args.runs,
            args.backends,
            args.redis_url,
            args.profile,
            args.compare,
        )
    )
    load = f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (1-minute)"
    section = report(results, load)
    print(section)
    if not args.no_write:
        write_section("## Breakout round opening", section)
