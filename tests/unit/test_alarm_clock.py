"""The alarm clock wakes a timer at its instant: also one re-armed while its last
run is still firing (a listener count coalesced again while the session's lock is
busy), which APScheduler skipped ("maximum number of running instances reached"),
leaving it to the next second's sync."""

from __future__ import annotations

import asyncio
import datetime as dt

from scheduler.alarm import AlarmClock, TimerSpec


def _due_in(ms: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(milliseconds=ms)


async def test_a_timer_re_armed_while_it_fires_fires_at_its_new_instant():
    firing, release, again = asyncio.Event(), asyncio.Event(), asyncio.Event()
    dues: list[dt.datetime] = []

    async def fire(spec: TimerSpec) -> None:
        dues.append(spec.due_at)
        if len(dues) == 1:
            firing.set()
            await release.wait()  # the first run is still in its transaction
        else:
            again.set()

    clock = AlarmClock("test-rearmed-while-firing", fire)
    clock.start()
    try:
        clock.sync([TimerSpec("t1", "k", "x", _due_in(20))])
        await asyncio.wait_for(firing.wait(), 5)
        clock.forget("t1")  # as the timer service does when a run starts
        later = _due_in(20)
        clock.sync([TimerSpec("t1", "k", "x", later)])
        await asyncio.wait_for(again.wait(), 5)
        assert dues[1] == later
    finally:
        release.set()
        clock.stop()
