"""Per-process memory is bounded in bytes and by age, not only by counts: a session's
window of recent events keeps at most ``recent_bytes`` (oldest out first; older
events come from the log), and the group-commit and shared-snapshot caches forget
sessions that went quiet."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from server.gateway.frames import LogEvent
from server.gateway.hub import RECENT, SessionFeed
from server.gateway.snapshot import SharedParts
from server.services.batches import Batcher

pytestmark = pytest.mark.asyncio(loop_scope="session")

AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


def _broadcast(seq: int, languages: int = 40, size: int = 1000) -> LogEvent:
    translations = {f"l{i:02d}": "x" * size for i in range(languages)}
    data = {"text": "y" * size, "translations": translations}
    return LogEvent(seq, "broadcast.message", "s", AT, "mod", data, ["session"])


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_window_of_recent_events_is_bounded_in_bytes_oldest_out_first():
    bound = 200_000  # about 4 of these 41 kB broadcasts
    feed = SessionFeed(None, "s", 0, recent_bytes=bound)  # no database: memory only
    for seq in range(1, 101):
        feed.remember(_broadcast(seq))
        assert feed.recent_bytes <= bound
    kept = [ev.seq for ev in feed.recent]
    assert kept == list(range(101 - len(kept), 101)) and 3 <= len(kept) <= 5
    # what is still in memory is served from memory (no database to read here)
    newest = await feed._range(kept[0] - 1, 100)
    assert [ev.seq for ev in newest] == kept


async def test_an_event_larger_than_the_window_is_not_kept():
    feed = SessionFeed(None, "s", 0, recent_bytes=10_000)
    feed.remember(_broadcast(1, languages=1, size=100))
    feed.remember(_broadcast(2))  # 41 kB
    assert list(feed.recent) == [] and feed.recent_bytes == 0


async def test_the_window_is_still_bounded_by_count():
    feed = SessionFeed(None, "s", 0, recent_bytes=10**12)
    for seq in range(1, RECENT + 11):
        feed.remember(LogEvent(seq, "hand.raised", "s", AT, "p", {}, ["moderators"]))
    assert len(feed.recent) == RECENT and feed.recent[0].seq == 11


async def test_the_batcher_forgets_sessions_that_went_quiet():
    clock = Clock()

    async def store(_sid, _items):
        pass

    b = Batcher(store, clock=clock)
    await asyncio.gather(*(b.submit(f"s{i}", i) for i in range(1000)))
    assert b._waiting == {} and b._draining == {}
    clock.now += 10 * b.busy_s  # long after: no session is busy any more
    await b.submit("later", 1)
    assert list(b._last_done) == ["later"]


async def test_shared_snapshot_parts_of_quiet_sessions_are_dropped():
    clock = Clock()
    shared = SharedParts(max_age_s=1.0, clock=clock)
    for i in range(1000):
        shared.memo(f"s{i}", 1)
    clock.now += 2.0  # every memo is stale: nobody may use it any more
    shared.memo("later", 5)
    assert list(shared._by_session) == ["later"]
    assert shared.peek("s0", 1) is None
