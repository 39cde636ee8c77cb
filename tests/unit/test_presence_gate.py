"""The presence gate's batches: an arrival a handshake waits for (a newcomer's) may
share a large batch; arrivals stored behind their snapshots, and departures, go in
small ones, so that after a reconnect storm no transaction holds the database's
writer (one at a time on SQLite) long enough to delay a command noticeably."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from server.services import presence

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def stored(monkeypatch):
    sizes: dict[str, list[int]] = {"join": [], "leave": []}

    async def join_many(cmds, sid, items, instance_id, ttl_s):
        sizes["join"].append(len(items))
        await asyncio.sleep(0)

    async def leave_many(cmds, sid, items):
        sizes["leave"].append(len(items))
        await asyncio.sleep(0)

    monkeypatch.setattr(presence, "join_many", join_many)
    monkeypatch.setattr(presence, "leave_many", leave_many)
    return sizes


def _people(n: int) -> list:
    return [SimpleNamespace(id=f"p{i}") for i in range(n)]


async def test_arrivals_after_the_snapshot_and_departures_go_in_small_batches(stored):
    gate = presence.Gate(cmds=None, instance_id="i", ttl_s=30)
    crowd = _people(3 * presence.LATE_BATCH)
    await asyncio.gather(*(gate.join_soon("s", p, f"c{p.id}", waited_on=False) for p in crowd))
    assert max(stored["join"]) <= presence.LATE_BATCH
    assert sum(stored["join"]) == len(crowd)
    await asyncio.gather(*(gate.leave("s", p.id, f"c{p.id}") for p in crowd))
    assert max(stored["leave"]) <= presence.DEPARTURE_BATCH
    assert sum(stored["leave"]) == len(crowd)


async def test_arrivals_a_handshake_waits_for_share_large_batches(stored):
    gate = presence.Gate(cmds=None, instance_id="i", ttl_s=30)
    crowd = _people(3 * presence.LATE_BATCH)
    await asyncio.gather(*(gate.join_soon("s", p, f"c{p.id}") for p in crowd))
    assert max(stored["join"]) > presence.LATE_BATCH  # fewer, larger transactions
    assert sum(stored["join"]) == len(crowd)


async def test_a_departure_waits_for_the_same_persons_late_arrival(stored):
    gate = presence.Gate(cmds=None, instance_id="i", ttl_s=30)
    (p,) = _people(1)
    joined = gate.join_soon("s", p, "c1", waited_on=False)
    await gate.leave("s", p.id, "c1")
    assert joined.done() and stored == {"join": [1], "leave": [1]}
