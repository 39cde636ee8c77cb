"""Redis pub/sub wake-ups across processes: one subscriber per process.

Messages carry only ``"<session_id> <seq>"``. Pub/sub ignores key prefixes, so the
configured prefix is part of the channel name. After a reconnect every feed pulls
from the log (``handler("*", 0)``), so nothing published meanwhile is lost.

redis-py's own retries are switched off: a dropped connection must surface here, or
a silent resubscribe would skip the catch-up.

``publish`` never waits on Redis: a hung Redis (it accepts and never answers) would
hold every command's answer for the socket timeout. It notes the newest seq per
session; a background task sends them, bounded by ``PUBLISH_TIMEOUT_S``. A wake-up
lost that way costs the other processes at most one poll interval."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from .broker import EVERYTHING, Broker, Handler
from .numbers import natural

log = logging.getLogger("convene.broker")

RETRY_MIN_S = 0.2
RETRY_MAX_S = 2.0
# after a failed publish, skip publishing this long (other processes poll the log)
PUBLISH_PAUSE_S = 1.0
PUBLISH_TIMEOUT_S = 0.5  # one round of background publishes, then Redis counts as failed


def redis_client(url: str, name: str | None = None) -> aioredis.Redis:
    return aioredis.from_url(
        url,
        socket_connect_timeout=1,
        socket_timeout=5,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
        client_name=name,  # CLIENT LIST shows which process and prefix a connection is
    )


class RedisBroker(Broker):
    def __init__(self, url: str, prefix: str):
        self.url = url
        self.prefix = prefix
        self.channel = f"{prefix}:wake"
        self.client = redis_client(url)
        self._sub_client = redis_client(url, name=f"{prefix}-wake-subscriber")
        self._task: asyncio.Task | None = None
        self._handler: Handler | None = None
        self._subscribed = False
        self._publish_failed_at = -1e9
        self._pending: dict[str, int] = {}  # session -> newest seq not yet published
        self._wanted = asyncio.Event()
        self._publisher: asyncio.Task | None = None
        self.reconnects = 0
        self.subscribed_event = asyncio.Event()

    @property
    def degraded(self) -> bool:  # type: ignore[override]
        recent_failure = time.monotonic() - self._publish_failed_at < PUBLISH_PAUSE_S
        return not self._subscribed or recent_failure

    async def start(self, handler: Handler) -> None:
        self._handler = handler
        self._task = asyncio.create_task(self._listen(), name="redis-broker")
        self._publisher = asyncio.create_task(self._publish_loop(), name="redis-publisher")

    async def _listen(self) -> None:
        ever_subscribed = False
        delay = RETRY_MIN_S
        while True:
            pubsub = self._sub_client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                if ever_subscribed:
                    self.reconnects += 1
                    log.info("redis broker reconnected; catching up from the log")
                ever_subscribed = True
                self._subscribed = True
                self.subscribed_event.set()
                delay = RETRY_MIN_S
                if self._handler:
                    self._handler(EVERYTHING, 0)
                async for msg in pubsub.listen():
                    if msg.get("type") != "message":
                        continue
                    raw = msg["data"].decode() if isinstance(msg["data"], bytes) else msg["data"]
                    sid, _, text = raw.partition(" ")
                    seq = natural(text)
                    if self._handler and seq is not None:
                        self._handler(sid, seq)
                raise ConnectionError("subscription ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: serve on, poll the log, retry
                if self._subscribed or not ever_subscribed:
                    log.warning("redis broker unavailable (%s); polling the log", exc)
                self._subscribed = False
                self.subscribed_event.clear()
                await asyncio.sleep(delay)
                delay = min(RETRY_MAX_S, delay * 2)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def publish(self, session_id: str, seq: int) -> None:
        """Hand the wake-up to the background publisher; returns at once."""
        if time.monotonic() - self._publish_failed_at < PUBLISH_PAUSE_S:
            return  # Redis just failed: other processes find this event by polling
        if seq > self._pending.get(session_id, 0):
            self._pending[session_id] = seq
        self._wanted.set()

    async def _publish_loop(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            batch, self._pending = self._pending, {}
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                    async with self.client.pipeline(transaction=False) as pipe:
                        for session_id, seq in batch.items():
                            pipe.publish(self.channel, f"{session_id} {seq}")
                        await pipe.execute()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # TimeoutError included: a hung Redis
                self._publish_failed_at = time.monotonic()
                log.warning(
                    "redis publish failed (%s); other processes will poll",
                    type(exc).__name__ if isinstance(exc, TimeoutError) else exc,
                )

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                return bool(await self.client.ping())
        except Exception:
            return False

    async def stop(self) -> None:
        for task in (self._task, self._publisher):
            if task:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        for c in (self.client, self._sub_client):
            with contextlib.suppress(Exception):
                await c.aclose()
