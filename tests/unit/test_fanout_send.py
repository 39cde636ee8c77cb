"""A feed's pull sends each connection what it sees as one write, in seq order, on
the fast send path: straight to transports that take writes, through the backlog
for a connection that waits, and never to one that is closing. The transports are
stand-ins that record what is written to them."""

from __future__ import annotations

import asyncio
import datetime as dt
import struct

import orjson

from server.gateway.connection import Connection
from server.gateway.frames import LogEvent
from server.gateway.hub import SessionFeed
from tests.support.gateway_fakes import FastSocket, connection

AT = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)


def _conn(pid: str, listening: str | None = None, role: str = "participant") -> Connection:
    return connection(FastSocket(), pid, role, listening=listening)


def _writes(conn: Connection) -> list[list[dict]]:
    """The frames of each write to ``conn``'s transport."""
    out = []
    for data in conn.protocol.transport.writes:
        frames = []
        while data:
            n, at = data[1], 2
            if n == 126:
                (n,), at = struct.unpack("!H", data[2:4]), 4
            frames.append(orjson.loads(data[at : at + n]))
            data = data[at + n :]
        out.append(frames)
    return out


def _broadcast(seq: int, text: str, translations: dict | None = None) -> LogEvent:
    data = {"text": text, "translations": translations or {}}
    return LogEvent(seq, "broadcast.message", "s", AT, None, data, ["session"])


def _moved(seq: int, pid: str, to: str) -> LogEvent:
    data = {"person_id": pid, "from_room": "plenary", "to_room": to}
    return LogEvent(seq, "room.moved", "s", AT, None, data, [f"person:{pid}", "moderators"])


async def _drained(conn: Connection) -> None:
    while conn.pending:  # the backlog's task writes it out
        await asyncio.sleep(0)


async def _feed(*conns: Connection, head: int = 0) -> SessionFeed:
    feed = SessionFeed(db=None, session_id="s", head=head)
    for conn in conns:
        await feed.attach(conn, head)
    return feed


async def _pull(feed: SessionFeed, *events: LogEvent) -> None:
    feed.offer(list(events))  # handed over: no log read
    await feed.pull()
    assert feed.head == events[-1].seq


async def test_one_event_is_one_write_of_each_recipients_language():
    fr, de, plain = _conn("p1", "fr"), _conn("p2", "de"), _conn("p3")
    feed = await _feed(fr, de, plain)
    await _pull(feed, _broadcast(1, "hello", {"fr": "bonjour"}))
    [[got]] = _writes(fr)
    assert (got["seq"], got["data"]["text"], got["data"]["language"]) == (1, "bonjour", "fr")
    for conn in (de, plain):  # no German text: the original
        [[got]] = _writes(conn)
        assert (got["data"]["text"], got["data"]["language"]) == ("hello", None)
    assert feed.delivered == 3


async def test_several_events_are_one_write_each_in_seq_order_with_own_moves():
    mover, other = _conn("p1"), _conn("p2")
    feed = await _feed(mover, other)
    await _pull(feed, _broadcast(1, "a"), _moved(2, "p1", "r1"), _broadcast(3, "b"))
    assert [[f["seq"] for f in w] for w in _writes(mover)] == [[1, 2, 3]]
    assert [[f["seq"] for f in w] for w in _writes(other)] == [[1, 3]]  # not told of p1's move
    assert mover.room_id == "r1" and mover in feed.by_room["r1"]


async def test_a_connection_that_cannot_take_writes_is_not_written_to():
    ok, closing, gone, close_sent, paused = (_conn(f"p{i}") for i in range(5))
    feed = await _feed(ok, closing, gone, close_sent, paused)
    closing.closing = True
    gone.protocol.transport.closing = True
    close_sent.protocol.close_sent = True
    paused.protocol.paused = True
    paused.protocol.writable.clear()
    await _pull(feed, _broadcast(1, "a"))
    assert [[f["seq"] for f in w] for w in _writes(ok)] == [[1]]
    for conn in (closing, gone, close_sent, paused):
        assert conn.protocol.transport.writes == []
    assert closing.closing and gone.closing and close_sent.closing  # ended, not queued to
    assert paused.pending > 0  # waits for its transport
    await _pull(feed, _broadcast(2, "b"))  # behind the one that waits, even once resumed
    paused.protocol.paused = False
    await _pull(feed, _broadcast(3, "c"))
    assert paused.protocol.transport.writes == []
    paused.protocol.writable.set()
    await asyncio.wait_for(_drained(paused), 5)
    assert [f["seq"] for w in _writes(paused) for f in w] == [1, 2, 3]
    await paused.stop()


async def test_a_connection_whose_snapshot_is_ahead_gets_only_newer_events():
    ahead = _conn("p1")
    feed = await _feed(_conn("p0"))
    await feed.attach(ahead, 2)  # its snapshot (read from the database) is at seq 2
    await _pull(feed, _broadcast(1, "a"))
    await _pull(feed, _broadcast(2, "b"), _broadcast(3, "c"))
    await _pull(feed, _broadcast(4, "d"))
    assert [[f["seq"] for f in w] for w in _writes(ahead)] == [[3], [4]]
