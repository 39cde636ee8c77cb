"""One contract for both brokers (server/broker.py): a publish reaches the handler of
every process on the same prefix, never another prefix; after Redis drops the
subscription, the handler is told to catch up from the log (``"*"``); with Redis
away, publishing does not fail and the broker says it is degraded."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from server.broker import EVERYTHING, MemoryBroker
from server.brokers import make_broker
from server.redis_broker import RedisBroker
from tests.support.server import free_port

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Heard:
    """A handler that records calls and lets a test wait for one."""

    def __init__(self):
        self.calls: list[tuple[str, int]] = []
        self._changed = asyncio.Event()

    def __call__(self, session_id: str, seq: int) -> None:
        self.calls.append((session_id, seq))
        self._changed.set()

    async def until(self, call: tuple[str, int], timeout: float = 5.0) -> None:
        await self.until_count(call, 1, timeout)

    async def until_count(self, call: tuple[str, int], n: int, timeout: float = 5.0) -> None:
        async def wait():
            while self.calls.count(call) < n:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)


@pytest.fixture(params=["memory", "redis"])
def url(request):
    if request.param == "memory":
        return None
    return request.getfixturevalue("redis_url")


async def _started(url, prefix):
    broker, heard = make_broker(url, prefix), Heard()
    await broker.start(heard)
    if isinstance(broker, RedisBroker):
        await heard.until((EVERYTHING, 0))  # subscribed: told to catch up once
    return broker, heard


async def test_a_publish_reaches_the_handler(url):
    broker, heard = await _started(url, f"contract-{uuid.uuid4().hex[:8]}")
    try:
        await broker.publish("session-a", 7)
        await heard.until(("session-a", 7))
        assert not broker.degraded
    finally:
        await broker.stop()


async def test_two_processes_on_one_prefix_hear_each_other_and_no_other_prefix(redis_url):
    prefix = f"contract-{uuid.uuid4().hex[:8]}"
    a, heard_a = await _started(redis_url, prefix)
    b, heard_b = await _started(redis_url, prefix)
    other, heard_other = await _started(redis_url, prefix + "-other")
    try:
        await a.publish("s", 1)
        await heard_b.until(("s", 1))
        await heard_a.until(("s", 1))
        # Redis delivers one connection's publishes in order: when the other prefix's
        # own message arrives, ours would have arrived before it if it ever would
        raw = aioredis.from_url(redis_url)
        await raw.publish(f"{prefix}:wake", "s 2")
        await raw.publish(f"{prefix}-other:wake", "s 3")
        await raw.aclose()
        await heard_other.until(("s", 3))
        assert [c for c in heard_other.calls if c[0] != EVERYTHING] == [("s", 3)]
    finally:
        for broker in (a, b, other):
            await broker.stop()


async def test_after_the_subscription_drops_the_handler_catches_up(redis_url):
    prefix = f"contract-{uuid.uuid4().hex[:8]}"
    broker, heard = await _started(redis_url, prefix)
    raw = aioredis.from_url(redis_url)
    try:
        ours = [
            c["id"] for c in await raw.client_list() if c.get("name") == f"{prefix}-wake-subscriber"
        ]
        assert ours, "the subscriber names its connection"
        for cid in ours:
            await raw.client_kill_filter(_id=cid)
        # resubscribed: told once more to read the log, and counted as a reconnect
        await heard.until_count((EVERYTHING, 0), 2, timeout=10)
        assert broker.reconnects == 1
        await broker.publish("s", 9)
        await heard.until(("s", 9))
    finally:
        await raw.aclose()
        await broker.stop()


async def test_with_redis_away_publishing_does_not_fail_and_says_degraded():
    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0", "contract-away")
    await broker.start(Heard())
    try:
        await broker.publish("s", 1)  # nobody listens: the other processes poll the log
        assert broker.degraded
    finally:
        await broker.stop()
    assert not MemoryBroker().degraded
