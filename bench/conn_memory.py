"""What one idle connection holds (issue 19, target 4), and RSS per connection.

``python -m bench.conn_memory --clients 1000 --trace``: Convene on SQLite (or the
FastAPI floor, ``--server fastapi``) with N lean clients; a probe loaded through
``sitecustomize`` (written to a temporary directory, on the server's PYTHONPATH
only) starts ``tracemalloc`` and, when asked through a file, collects garbage and
dumps a snapshot (tracing starts once the server is up: importing under
``tracemalloc`` takes a minute) and the count of gc-tracked objects by type. Printed: the
allocations that grew between before and after the connect, per connection,
grouped by line and by traceback, and the objects per connection by type.

Without ``--trace``: RSS after a SIGUSR2 collection (and heap trim), connected minus
before, over N, measured as bench/fanout.py does; each of ``--runs`` runs Convene,
the FastAPI floor and, with ``--before DIR`` (e.g. ``git archive main`` unpacked
there), Convene from that code on the same data, in turn, so that all are measured
in the same conditions. The server's figures are in docs/performance.md."""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import pickle
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import uvloop

from bench.clients import ROOT, Workers, raise_fd_limit
from bench.fanout import SETTLE_S, Convene, Floor

PROBE = """
import gc, os, pickle, threading, time, tracemalloc, collections
_out = os.environ.get("MEMPROBE_DIR")
if _out:
    def _watch():
        k = 0
        while True:
            time.sleep(0.2)
            if not tracemalloc.is_tracing() and os.path.exists(os.path.join(_out, "start")):
                tracemalloc.start(int(os.environ.get("MEMPROBE_FRAMES", "10")))
            if not os.path.exists(os.path.join(_out, f"take{k}")):
                continue
            gc.unfreeze()  # frozen objects are not in gc.get_objects()
            gc.collect()
            types = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
            tracemalloc.take_snapshot().dump(os.path.join(_out, f"snap{k}"))
            with open(os.path.join(_out, f"types{k}"), "wb") as f:
                pickle.dump(dict(types), f)
            gc.freeze()
            open(os.path.join(_out, f"done{k}"), "w").close()
            k += 1
    threading.Thread(target=_watch, daemon=True).start()
"""


async def _take(out: Path, k: int) -> tuple[tracemalloc.Snapshot, dict]:
    (out / "start").touch()
    (out / f"take{k}").touch()
    while not (out / f"done{k}").exists():
        await asyncio.sleep(0.2)
    with open(out / f"types{k}", "rb") as f:
        types = pickle.load(f)
    return tracemalloc.Snapshot.load(str(out / f"snap{k}")), types


def _short(frame) -> str:
    name = frame.filename
    for cut in ("site-packages/", str(ROOT) + "/"):
        if cut in name:
            name = name.split(cut, 1)[1]
    return f"{name}:{frame.lineno}"


def report(before, after, types0, types1, n: int, top: int) -> None:
    total = sum(s.size_diff for s in after.compare_to(before, "filename"))
    print(f"\ntraced Python allocations: {total / n:.0f} B per connection")
    print(f"\n-- by line (B per connection, blocks per connection), top {top}")
    for s in after.compare_to(before, "lineno")[:top]:
        f = s.traceback[0]
        print(f"{s.size_diff / n:8.0f} B {s.count_diff / n:6.2f}  {_short(f)}")
    print(f"\n-- by traceback, top {top} (innermost last)")
    for s in after.compare_to(before, "traceback")[:top]:
        print(f"{s.size_diff / n:8.0f} B {s.count_diff / n:6.2f}")
        for f in list(s.traceback)[-6:]:
            print(f"            {_short(f)}")
    print("\n-- gc-tracked objects per connection, by type")
    grown = {t: types1.get(t, 0) - types0.get(t, 0) for t in types1}
    for t, d in sorted(grown.items(), key=lambda kv: -kv[1])[:top]:
        if d / n >= 0.05:
            print(f"{d / n:7.2f}  {t}")


async def trace(server: str, n: int, top: int) -> None:
    clients = await Workers(1).start()  # started before the probe is on PYTHONPATH
    prepared = await Convene.prepare(n) if server == "convene" else None
    out = Path(tempfile.mkdtemp(prefix="memprobe-"))
    (out / "sitecustomize.py").write_text(PROBE)
    os.environ["PYTHONPATH"] = f"{out}:{ROOT}"
    os.environ["MEMPROBE_DIR"] = str(out)
    try:
        target = await (prepared.start() if prepared else Floor("fastapi", n).ready())
        try:
            before, t0 = await _take(out, 0)
            _, failed, why = await clients.connect(target.urls, first_message=target.first_message)
            assert not failed, why
            await asyncio.sleep(SETTLE_S)
            after, t1 = await _take(out, 1)
            report(before, after, t0, t1, n, top)
        finally:
            await clients.close_clients()
            await target.stop()
    finally:
        await clients.stop()


async def rss(n: int, runs: int, servers: list[str], before: str | None = None) -> None:
    """RSS per connection, the servers alternating in each run; ``before``: a checkout
    of other code (``git archive main``), run as ``convene-before`` on the same data."""
    clients = await Workers(1 if n < 5000 else 2).start()
    prepared = await Convene.prepare(n) if "convene" in servers else None
    if before:
        servers = [*servers, "convene-before"]
    got: dict[str, list[float]] = collections.defaultdict(list)
    try:
        for run in range(runs):
            for server in servers:
                if server == "fastapi":
                    target = await Floor("fastapi", n).ready()
                elif server == "convene-before":
                    os.environ["PYTHONPATH"] = before
                    try:
                        target = await prepared.start()
                    finally:
                        del os.environ["PYTHONPATH"]
                else:
                    target = await prepared.start()
                try:
                    base = await target.rss_after_gc()
                    _, failed, why = await clients.connect(
                        target.urls, first_message=target.first_message
                    )
                    assert not failed, why
                    await asyncio.sleep(SETTLE_S)
                    per = (await target.rss_after_gc() - base) / n
                finally:
                    await clients.close_clients()
                    await target.stop()
                got[server].append(per)
                print(f"run {run} {server}: {per:.1f} KiB per connection", flush=True)
    finally:
        await clients.stop()
    for server, vals in got.items():
        print(f"{server}: median {statistics.median(vals):.1f} ({min(vals):.1f}-{max(vals):.1f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--server", default="convene", choices=["convene", "fastapi"])
    ap.add_argument("--servers", nargs="+", default=["convene", "fastapi"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", help="a checkout of the code to compare with")
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    raise_fd_limit(args.clients)
    t0 = time.monotonic()
    if args.trace:
        uvloop.run(trace(args.server, args.clients, args.top))
    else:
        uvloop.run(rss(args.clients, args.runs, args.servers, args.before))
    print(f"took {time.monotonic() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
