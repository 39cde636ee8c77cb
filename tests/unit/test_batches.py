"""Group commit: what arrives while a batch is stored goes in the next one."""

from __future__ import annotations

import asyncio

import pytest

from server.services.batches import Batcher

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_arrivals_during_a_store_are_stored_together_next():
    stored: list[tuple[str, list[int]]] = []
    gate = asyncio.Event()

    async def store(sid, items):
        stored.append((sid, list(items)))
        if len(stored) == 1:
            await gate.wait()  # the first batch is slow; others pile up meanwhile

    b = Batcher(store)
    first = asyncio.create_task(b.submit("s", 0))
    while not stored:
        await asyncio.sleep(0)
    rest = [asyncio.create_task(b.submit("s", i)) for i in range(1, 6)]
    other = asyncio.create_task(b.submit("t", 99))  # another session is not held up
    await asyncio.wait_for(other, 1)
    gate.set()
    await asyncio.wait_for(asyncio.gather(first, *rest), 1)
    assert stored == [("s", [0]), ("t", [99]), ("s", [1, 2, 3, 4, 5])]


async def test_a_failed_batch_fails_its_callers_only_and_batches_are_capped():
    calls: list[list[int]] = []

    async def store(sid, items):
        calls.append(list(items))
        if 3 in items:
            raise RuntimeError("database gone")

    b = Batcher(store, max_batch=2)
    results = await asyncio.gather(*(b.submit("s", i) for i in range(5)), return_exceptions=True)
    assert calls == [[0, 1], [2, 3], [4]]
    assert results[:2] == [None, None] and results[4] is None
    assert all(isinstance(r, RuntimeError) for r in results[2:4])
    await b.submit("s", 7)  # the session's queue works again afterwards
    assert calls[-1] == [7]
