"""Participants' snapshots of one seq share their reads: one arriving while the first
of that seq is still reading waits for it instead of reading again (in a reconnect
storm, that is nearly everyone), and falls back to a read of its own only when a
part it needs is not being read at all."""

from __future__ import annotations

import asyncio

import pytest

from server.gateway.snapshot import BUILT, Miss, SharedParts, shared_read


async def test_a_waiter_gets_parts_the_first_snapshot_reads_after_it_arrived():
    shared = SharedParts()
    memo = shared.memo("s1", 7)
    release = asyncio.Event()
    reads = []

    async def first():
        async def base():
            await release.wait()
            reads.append("base")
            return {"rooms": 3}

        await shared_read(memo, "base", base)
        # "session" is only started after "base": a waiter asking for it early
        # must not take its absence for a miss
        session = await shared_read(memo, "session", _value("S", reads))
        memo[BUILT].set_result(None)
        return session

    builder = asyncio.create_task(first())
    await asyncio.sleep(0)
    view = shared.peek("s1", 7)
    assert view is not None
    waiter = asyncio.create_task(view.take("session"))
    await asyncio.sleep(0)
    assert not waiter.done()
    release.set()
    assert await asyncio.wait_for(waiter, 5) == "S"
    assert await builder == "S"
    assert reads == ["base", "session"]  # each part read once


async def test_a_part_nobody_reads_is_a_miss_once_the_first_snapshot_is_done():
    shared = SharedParts()
    memo = shared.memo("s1", 7)
    await shared_read(memo, "base", _value({}, []))
    memo[BUILT].set_result(None)
    with pytest.raises(Miss):
        await shared.peek("s1", 7).take(("members", "room-b"))


async def test_another_seq_is_not_shared():
    shared = SharedParts()
    shared.memo("s1", 7)
    assert shared.peek("s1", 8) is None
    assert shared.peek("s2", 7) is None


def _value(v, reads):
    async def read():
        reads.append("session" if v == "S" else "other")
        return v

    return read
