"""The lean stand-ins FastWebSocketProtocol gives uvicorn for its queue and its
``writable`` event keep the semantics uvicorn relies on."""

from __future__ import annotations

import asyncio

from server.gateway.transport import Flag, Inbox


async def test_inbox_hands_messages_in_order_and_waits_for_the_next():
    box = Inbox()
    box.put_nowait({"n": 1})
    box.put_nowait({"n": 2})
    assert not box.empty()
    assert await box.get() == {"n": 1}
    assert await box.get() == {"n": 2}
    assert box.empty()
    waiting = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    box.put_nowait({"n": 3})
    assert await asyncio.wait_for(waiting, 1) == {"n": 3}


async def test_inbox_get_cancelled_loses_nothing():
    box = Inbox()
    waiting = asyncio.ensure_future(box.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    box.put_nowait("kept")
    assert await asyncio.wait_for(box.get(), 1) == "kept"


async def test_flag_wakes_every_waiter_once_set():
    flag = Flag()
    assert not flag.is_set()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 1) == [True, True, True]
    flag.clear()
    assert not flag.is_set()
    late = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    assert not late.done()
    flag.set()
    assert await asyncio.wait_for(late, 1) is True
    assert await flag.wait() is True  # set: returns at once
