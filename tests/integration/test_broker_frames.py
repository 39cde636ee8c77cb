"""A wake-up whose seq is not a plain ASCII number (``²``, ``①``, 5,000 digits) is
ignored: it no longer breaks the Redis subscription (``str.isdigit`` accepted it and
``int`` raised, so the broker dropped and re-made its subscription)."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from server.broker import EVERYTHING
from server.redis_broker import RedisBroker
from tests.integration.test_broker import Heard

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_odd_seq_in_a_wake_up_is_ignored(redis_url):
    broker, heard = RedisBroker(redis_url, f"frames-{uuid.uuid4().hex[:8]}"), Heard()
    await broker.start(heard)
    raw = aioredis.Redis.from_url(redis_url)
    try:
        await heard.until((EVERYTHING, 0))  # subscribed
        for odd in ["²", "①", "٣", "1" * 5000, "-1", ""]:
            await raw.publish(broker.channel, f"session-a {odd}")
        await broker.publish("session-a", 7)
        await heard.until(("session-a", 7))
        assert heard.calls == [(EVERYTHING, 0), ("session-a", 7)]
        assert broker.reconnects == 0
    finally:
        await raw.aclose()
        await broker.stop()
