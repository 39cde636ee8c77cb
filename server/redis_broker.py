"""Redis pub/sub wake-ups across processes: one subscriber per process.

Messages carry only ``"<session_id> <seq>"``. Pub/sub ignores key prefixes, so the
configured prefix is part of the channel name. After a reconnect every feed pulls
from the log (``handler("*", 0)``), so nothing published meanwhile is lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis

from .broker import Broker, Handler

log = logging.getLogger("convene.broker")


class RedisBroker(Broker):
    def __init__(self, url: str, prefix: str):
        self.url = url
        self.channel = f"{prefix}:wake"
        self._client = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._task: asyncio.Task | None = None
        self._handler: Handler | None = None
        self.degraded = False
        self.reconnects = 0

    async def start(self, handler: Handler) -> None:
        self._handler = handler
        self._task = asyncio.create_task(self._listen(), name="redis-broker")

    async def _listen(self) -> None:
        first = True
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                if not first:
                    self.reconnects += 1
                    log.info("redis broker reconnected; catching up from the log")
                first = False
                self.degraded = False
                if self._handler:
                    self._handler("*", 0)
                async for msg in pubsub.listen():
                    if msg.get("type") != "message":
                        continue
                    raw = msg["data"].decode() if isinstance(msg["data"], bytes) else msg["data"]
                    sid, _, seq = raw.partition(" ")
                    if self._handler and seq.isdigit():
                        self._handler(sid, int(seq))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: serve on, poll the log, retry
                if not self.degraded:
                    log.warning("redis broker unavailable (%s); polling the log", exc)
                self.degraded = True
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def publish(self, session_id: str, seq: int) -> None:
        try:
            await self._client.publish(self.channel, f"{session_id} {seq}")
        except Exception as exc:
            self.degraded = True
            log.warning("redis publish failed (%s); other processes will poll", exc)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except Exception:
            return False

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        await self._client.aclose()
