"""Event-loop lag: how late a timer wakes up. Everything a process serves (frames,
pings, answers) waits that long, so it is the first sign of CPU work done on the
loop. Exported as ``convene_event_loop_lag_seconds`` on /metrics."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Histogram

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
INTERVAL_S = 0.1


def histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram(
        "convene_event_loop_lag_seconds",
        f"How late the event loop's {INTERVAL_S:g} s timer woke up",
        buckets=LAG_BUCKETS,
        registry=registry,
    )


async def watch(lag: Histogram, interval_s: float = INTERVAL_S) -> None:
    """Sleep ``interval_s`` again and again; observe how late each wake-up is."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + interval_s
        await asyncio.sleep(interval_s)
        lag.observe(max(0.0, loop.time() - due))
