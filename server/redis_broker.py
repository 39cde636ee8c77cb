"""Redis pub/sub wake-ups across processes: one subscriber per process.

Messages carry only ``"<session_id> <seq>"``. Pub/sub ignores key prefixes, so the
configured prefix is part of the channel name. After a reconnect every feed pulls
from the log (``handler("*", 0)``), so nothing published meanwhile is lost.

redis-py's own retries are switched off: a dropped connection must surface here, or
a silent resubscribe would skip the catch-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from .broker import EVERYTHING, Broker, Handler

log = logging.getLogger("convene.broker")

RETRY_MIN_S = 0.2
RETRY_MAX_S = 2.0
# after a failed publish, skip publishing this long (other processes poll the log)
PUBLISH_PAUSE_S = 1.0


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
        self.reconnects = 0
        self.subscribed_event = asyncio.Event()

    @property
    def degraded(self) -> bool:  # type: ignore[override]
        recent_failure = time.monotonic() - self._publish_failed_at < PUBLISH_PAUSE_S
        return not self._subscribed or recent_failure

    async def start(self, handler: Handler) -> None:
        self._handler = handler
        self._task = asyncio.create_task(self._listen(), name="redis-broker")

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
                    sid, _, seq = raw.partition(" ")
                    if self._handler and seq.isdigit():
                        self._handler(sid, int(seq))
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
        if time.monotonic() - self._publish_failed_at < PUBLISH_PAUSE_S:
            return  # Redis just failed: other processes find this event by polling
        try:
            await self.client.publish(self.channel, f"{session_id} {seq}")
        except Exception as exc:
            self._publish_failed_at = time.monotonic()
            log.warning("redis publish failed (%s); other processes will poll", exc)

    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except Exception:
            return False

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        for c in (self.client, self._sub_client):
            with contextlib.suppress(Exception):
                await c.aclose()
