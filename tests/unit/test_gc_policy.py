"""After a connect storm the new long-lived objects are frozen (full collections stop
scanning them); frozen objects are periodically unfrozen and collected, so cycles of
closed connections cannot pile up."""

from __future__ import annotations

import gc

from server.gateway.collector import Freezer


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Cycle:
    def __init__(self):
        self.me = self


def test_a_storm_is_frozen_once_it_has_settled():
    n = [0]
    clock = Clock()
    f = Freezer(lambda: n[0], growth=100, refresh_s=600, clock=clock)
    held = [Cycle() for _ in range(1000)]  # what the storm's connections hold
    before = gc.get_freeze_count()
    n[0] = 700
    assert f.check() is None  # still growing
    n[0] = 1000
    assert f.check() is None
    assert f.check() == "frozen"  # held for one check
    assert gc.get_freeze_count() >= before + len(held)
    assert f.check() is None  # nothing new
    gc.unfreeze()


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
    gc.unfreeze()


def test_the_heap_is_trimmed_where_glibc_allows_it():
    import platform

    from server.gateway.collector import trim_heap

    assert trim_heap() is (platform.libc_ver()[0] == "glibc")
