"""A hung Redis (it accepts connections and never answers, unlike a stopped one) must
not hold REST answers: the wake-up is published in the background with a short
timeout, and the other process's clients get the events from the catch-up poll.

The Redis here is a private ``redis-server`` on a free port, stopped with SIGSTOP;
never the machine's shared one."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid

import pytest

from server.broker import EVERYTHING
from server.redis_broker import PUBLISH_PAUSE_S, RedisBroker
from tests.integration.test_broker import Heard
from tests.support.client import Api, make_world, ws_connect
from tests.support.redis_process import RedisProcess
from tests.support.server import process_pair

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.services]

PROMPT_S = 1.0  # a REST answer while Redis hangs (the socket timeout was 5 s)


@pytest.fixture
def hung_redis():
    """A private Redis; the test stops it with ``SIGSTOP``. Always continued and
    killed at the end, whatever the test did."""
    r = RedisProcess()
    yield r.proc, r.url
    r.kill()


def _texts(ws):
    return [f["data"]["text"] for f in ws.frames if f.get("type") == "broadcast.message"]


async def test_rest_answers_promptly_and_clients_catch_up_while_redis_hangs(
    tmp_path, fresh_pg, hung_redis
):
    proc, url = hung_redis
    a, b = process_pair(tmp_path, fresh_pg, url, f"hung-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a)
        sid = w.session["id"]
        on_b = await ws_connect(b, sid, w.token("p1"))  # hears a's events only via Redis or poll
        await on_b.next()
        async with Api(a.url, w.token("mod")) as mod:
            await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "h0"}, 201)
            await on_b.until(lambda f: f.get("data", {}).get("text") == "h0", timeout=10)

            proc.send_signal(signal.SIGSTOP)
            took = []
            for i in range(1, 6):
                t0 = time.monotonic()
                await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": f"h{i}"}, 201)
                took.append(time.monotonic() - t0)
            assert max(took) < PROMPT_S, took
            # b's subscription hangs too: its catch-up poll finds a's events in the log
            await on_b.until(lambda f: f.get("data", {}).get("text") == "h5", timeout=10)

            proc.send_signal(signal.SIGCONT)
            for i in range(6, 9):
                await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": f"h{i}"}, 201)
            await on_b.until(lambda f: f.get("data", {}).get("text") == "h8", timeout=10)
        assert _texts(on_b) == [f"h{i}" for i in range(9)]  # nothing lost, nothing twice
        seqs = [f["seq"] for f in on_b.frames if "seq" in f]
        assert seqs == sorted(set(seqs))
        await on_b.close()


async def test_publish_never_waits_and_wake_ups_flow_again_after_sigcont(hung_redis):
    proc, url = hung_redis
    prefix = f"hung-{uuid.uuid4().hex[:8]}"
    sender, listener, heard = RedisBroker(url, prefix), RedisBroker(url, prefix), Heard()
    await sender.start(Heard())
    await listener.start(heard)
    try:
        await heard.until((EVERYTHING, 0))
        await asyncio.wait_for(sender.subscribed_event.wait(), 5)
        assert not sender.degraded
        proc.send_signal(signal.SIGSTOP)
        t0 = time.monotonic()
        for seq in range(1, 50):
            await sender.publish("s", seq)
        assert time.monotonic() - t0 < 0.1
        # the subscriptions do not notice a hung Redis: degraded means the publish timed out
        await asyncio.wait_for(_degraded(sender), 5)
        proc.send_signal(signal.SIGCONT)
        # once the pause after the failure is over, wake-ups go through Redis again
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PUBLISH_PAUSE_S + 10
        seq = 100
        while ("s", seq) not in heard.calls and loop.time() < deadline:
            seq += 1
            await sender.publish("s", seq)
            try:
                await heard.until(("s", seq), timeout=0.5)
            except TimeoutError:
                continue
        assert ("s", seq) in heard.calls
    finally:
        for broker in (sender, listener):
            await broker.stop()


async def _degraded(broker) -> None:
    while not broker.degraded:
        await asyncio.sleep(0.02)
