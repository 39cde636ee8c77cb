"""Prometheus metrics at ``GET /metrics``, one registry per app (tests run several
apps in one process).

The hot path only bumps plain integers on the hub and the broker; this module reads
them when Prometheus scrapes. The fan-out histogram is observed once per event, not
per client."""

from __future__ import annotations

import asyncio
import bisect
import math
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.exposition import choose_encoder
from starlette.responses import Response

from . import loop_lag

if TYPE_CHECKING:
    from .state import AppState

FANOUT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

_PENDING_MAX = 10_000


class _Live:
    """Values kept as plain attributes elsewhere, read at scrape time."""

    def __init__(self, state: AppState):
        self.state = state

    def collect(self):
        hub, broker = self.state.hub, self.state.broker
        yield GaugeMetricFamily(
            "convene_connections", "WebSocket connections attached to this process", hub.connections
        )
        fast = [c.protocol for f in hub.feeds.values() for c in f.conns if c.protocol is not None]
        yield GaugeMetricFamily(
            "convene_fast_path_connections",
            "Connections whose frames are written straight to their transport",
            len(fast),
        )
        yield _runtime(fast[0] if fast else None)
        yield GaugeMetricFamily(
            "convene_session_feeds",
            "Sessions with live connections in this process",
            len(hub.feeds),
        )
        yield GaugeMetricFamily(
            "convene_feed_recent_bytes",
            "Bytes of recent events the session feeds keep in memory for resumes",
            sum(f.recent_bytes for f in hub.feeds.values()),
        )
        yield CounterMetricFamily(
            "convene_events_delivered", "Event frames queued to clients", hub.delivered
        )
        snapshots = CounterMetricFamily(
            "convene_snapshots",
            "Handshake snapshots, by what they were built from (the session view or the database)",
            labels=["source"],
        )
        for source, n in hub.snapshots.items():
            snapshots.add_metric([source], n)
        yield snapshots
        yield CounterMetricFamily(
            "convene_slow_client_closes",
            "Clients closed with 4408 because they fell too far behind",
            hub.slow_closes,
        )
        yield CounterMetricFamily(
            "convene_broker_reconnects",
            "Times the broker subscription came back after a loss",
            getattr(broker, "reconnects", 0),
        )
        yield GaugeMetricFamily(
            "convene_broker_degraded",
            "1 while the broker is unavailable (the log is polled)",
            1 if broker.degraded else 0,
        )


def _runtime(proto) -> InfoMetricFamily:
    """What this process really serves on (the benchmarks and operators check it):
    the running loop's package, and the HTTP and WebSocket protocols uvicorn gave a
    live socket (empty while none is connected)."""
    try:
        loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    except RuntimeError:  # scraped off the loop (a registry read from another thread)
        loop = ""
    http = proto.config.http_protocol_class.__name__ if proto is not None else ""
    ws = type(proto).__name__ if proto is not None else ""
    return InfoMetricFamily(
        "convene_runtime",
        "Event loop, HTTP parser and WebSocket protocol of this process",
        value={"loop": loop, "http": http, "ws": ws},
    )


WEBHOOK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WEBHOOK_ATTEMPT_OUTCOMES = ("delivered", "http_error", "timeout", "network_error", "refused")


class WebhookMetrics:
    """Webhook attempts and deliveries of this process (the worker observes them)."""

    def __init__(self, registry: CollectorRegistry):
        self.attempts = Counter(
            "convene_webhook_attempts",
            "Webhook delivery attempts made by this process, by outcome",
            ["outcome"],
            registry=registry,
        )
        for outcome in WEBHOOK_ATTEMPT_OUTCOMES:
            self.attempts.labels(outcome)
        self.deliveries = Counter(
            "convene_webhook_deliveries",
            "Webhook deliveries finished by this process: delivered, or failed after "
            "their last attempt",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("delivered", "failed"):
            self.deliveries.labels(outcome)
        self.duration = Histogram(
            "convene_webhook_attempt_duration_seconds",
            "Duration of one webhook delivery attempt: resolution, connection, request and "
            "status line",
            buckets=WEBHOOK_BUCKETS,
            registry=registry,
        )


class Metrics:
    def __init__(self, state: AppState):
        self.registry = CollectorRegistry()
        # (session_id, last seq of a transaction) -> events it stored
        self._pending: dict[tuple[str, int], int] = {}
        self.events_stored = Counter(
            "convene_events_stored",
            "Events stored in the log by this process",
            registry=self.registry,
        )
        self.fanout_latency = Histogram(
            "convene_fanout_latency_seconds",
            "From an event's 'at' until its frames are queued to every local recipient",
            buckets=FANOUT_BUCKETS,
            registry=self.registry,
        )
        self.resumes = Counter(
            "convene_resumes",
            "Connections with resume_from, by how they were answered",
            ["answer"],
            registry=self.registry,
        )
        for answer in ("replay", "snapshot"):
            self.resumes.labels(answer)
        self.loop_lag = loop_lag.histogram(self.registry)
        self.webhooks = WebhookMetrics(self.registry)
        self.registry.register(_Live(state))

    async def note_stored(self, _tx, session, records: list) -> None:
        """Just before the commit: how many events it stores. A rolled-back
        transaction leaves an entry that nobody takes: the map is cleared when it grows."""
        if len(self._pending) >= _PENDING_MAX:
            self._pending.clear()
        self._pending[(session.id, records[-1].seq)] = len(records)

    def committed(self, session_id: str, seq: int) -> None:
        n = self._pending.pop((session_id, seq), None)
        if n:
            self.events_stored.inc(n)

    def fanout_observed(self, seconds: list[float]) -> None:
        """Events fanned out ``seconds`` after their ``at``: what ``Histogram.observe``
        does for each, with one increment per bucket (observing each of an opening's
        1,200 events was an eighth of its pull)."""
        h = self.fanout_latency
        bounds = h._upper_bounds  # ends with +Inf
        counts = [0] * len(bounds)
        for s in seconds:
            counts[bisect.bisect_left(bounds, s)] += 1
        h._sum.inc(math.fsum(seconds))
        for bucket, n in zip(h._buckets, counts, strict=True):
            if n:
                bucket.inc(n)

    def render(self, accept: str | None = None) -> Response:
        """In the format the scraper's ``Accept`` header prefers: OpenMetrics (what
        Prometheus 3 asks for first) or the Prometheus text format."""
        encode, content_type = choose_encoder(accept or "")
        return Response(encode(self.registry), headers={"Content-Type": content_type})


def install(state: AppState) -> Metrics:
    """Create this app's metrics and hook them to the commands and the hub."""
    m = Metrics(state)
    state.commands.before_commit_hooks.append(m.note_stored)
    state.commands.after_commit.append(m.committed)
    state.hub.on_fanout = m.fanout_observed
    state.extra["metrics"] = m
    return m


def of(state: AppState) -> Metrics | None:
    return state.extra.get("metrics")


def webhooks(state: AppState) -> WebhookMetrics | None:
    m = of(state)
    return m.webhooks if m is not None else None


def count_resume(state: AppState, replayed: bool) -> None:
    m = of(state)
    if m is not None:
        m.resumes.labels("replay" if replayed else "snapshot").inc()
