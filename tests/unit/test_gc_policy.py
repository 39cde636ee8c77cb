"""A connect storm's objects are frozen as the storm grows (each ``growth``
connections, at the attach that reaches it), so automatic full collections never scan
more than that many connections' objects; frozen objects are periodically unfrozen and
collected, so cycles of closed connections cannot pile up."""

from __future__ import annotations

import asyncio
import gc
import platform
from types import SimpleNamespace

import pytest

from server.auth import Caller
from server.gateway import collector
from server.gateway.collector import Freezer, trim_heap
from server.gateway.connection import Connection
from server.gateway.hub import Hub
from server.models import Person


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Cycle:
    def __init__(self):
        self.me = self


@pytest.fixture(autouse=True)
def _unfrozen():
    yield
    gc.unfreeze()


def test_a_storm_is_frozen_each_time_it_has_grown_by_growth():
    n = [0]
    f = Freezer(lambda: n[0], growth=100, refresh_s=600, clock=Clock())
    n[0] = 99
    assert not f.grew()
    held = [Cycle() for _ in range(1000)]  # what the storm's connections hold
    before = gc.get_freeze_count()
    n[0] = 100
    assert f.grew()  # at once: the storm need not settle first
    assert gc.get_freeze_count() >= before + len(held)
    n[0] = 150
    assert not f.grew()
    n[0] = 200
    assert f.grew()


def test_a_storm_after_closes_counts_from_the_lowest_count():
    n = [500]
    f = Freezer(lambda: n[0], growth=100, refresh_s=600, clock=Clock())
    n[0] = 50  # most clients left
    assert not f.grew()
    n[0] = 149
    assert not f.grew()
    n[0] = 150  # 100 more than the low point, though fewer than at the last freeze
    assert f.grew()


def test_the_periodic_check_freezes_growth_no_attach_reported():
    n = [0]
    clock = Clock()
    f = Freezer(lambda: n[0], growth=100, refresh_s=600, clock=clock)
    n[0] = 100
    assert f.check() == "frozen"
    assert f.check() is None


def test_frozen_garbage_is_collected_by_the_periodic_refresh():
    clock = Clock()
    f = Freezer(lambda: 0, growth=100, refresh_s=600, clock=clock)
    gc.collect()
    gc.freeze()
    dead = Cycle()
    del dead  # a closed connection's cycle, already frozen: no collection can reach it
    gc.freeze()
    frozen = gc.get_freeze_count()
    clock.t = 601
    assert f.check() == "refreshed"
    assert gc.get_freeze_count() < frozen  # unfrozen, the cycle collected, the rest frozen


class Socket:
    application_state = None

    async def send_text(self, frame):
        return None

    async def close(self, code, reason=""):
        return None


def _conn(i: int) -> Connection:
    person = Person(id=f"p{i}", event_id="e", name=f"p{i}", role="participant", token_hash="h")
    return Connection(
        Socket(),
        Caller(person),
        f"c{i}",
        room_id="plenary",
        listening=None,
        booths=frozenset(),
        queue_max=100,
    )


@pytest.mark.asyncio(loop_scope="session")
async def test_the_installed_policy_freezes_at_the_attach_that_reaches_growth():
    """The app's wiring: the hub's attach calls the policy; no check has to run."""
    w = SimpleNamespace(starters=[])
    collector.install(w, lambda state: state.hub, growth=3)
    hub = Hub(None, poll_interval_s=60)
    tasks = await w.starters[0](SimpleNamespace(hub=hub))
    try:
        feed = hub.feed("s", 0)
        for i in range(2):
            await feed.attach(_conn(i), 0)
        gc.collect()
        unfrozen = gc.get_freeze_count()
        held = _conn(2)
        await feed.attach(held, 0)
        assert gc.get_freeze_count() > unfrozen
        assert gc.is_tracked(held)
        assert not any(o is held for o in gc.get_objects())  # frozen: no collection scans it
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_the_heap_is_trimmed_where_glibc_allows_it():
    assert trim_heap() is (platform.libc_ver()[0] == "glibc")


def test_the_heap_is_given_back_once_a_storm_has_held_for_a_check():
    n = [0]
    f = Freezer(lambda: n[0], growth=100, refresh_s=600, clock=Clock())
    n[0] = 100
    assert f.grew()
    assert f.check() is None  # the count moved since the last check: the storm goes on
    assert f.check() == "trimmed"
    assert f.check() is None  # once
