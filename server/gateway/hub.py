"""Per-process fan-out: one feed per session, one log read per new seq, one encode
per audience variant. Wake-ups come from the broker; a poll catches anything a lost
wake-up missed."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging

from ..db import Database
from ..eventlog import read_after
from ..models import EventRecord, utcnow
from .connection import Connection
from .frames import encode_event, variant_of

log = logging.getLogger("convene.gateway")

RECENT = 4096


class SessionFeed:
    def __init__(self, db: Database, session_id: str, head: int):
        self.db = db
        self.session_id = session_id
        self.head = head
        self.conns: set[Connection] = set()
        self.recent: collections.deque[EventRecord] = collections.deque(maxlen=RECENT)
        self.lock = asyncio.Lock()
        self._dirty = False
        self._task: asyncio.Task | None = None
        self.delivered = 0
        self.hub: Hub | None = None

    # ---- attaching --------------------------------------------------------------------------
    async def attach(self, conn: Connection, cursor: int) -> None:
        """Deliver everything after ``cursor`` to ``conn``, then keep it live."""
        async with self.lock:
            conn.cursor = cursor
            if cursor < self.head:
                for ev in await self._range(cursor, self.head):
                    self._deliver(conn, ev, {})
            conn.cursor = max(cursor, self.head)
            self.conns.add(conn)

    def detach(self, conn: Connection) -> None:
        self.conns.discard(conn)

    async def _range(self, after: int, upto: int) -> list[EventRecord]:
        if self.recent and self.recent[0].seq <= after + 1:
            return [ev for ev in self.recent if after < ev.seq <= upto]
        async with self.db.read() as tx:
            return list(await read_after(tx, self.session_id, after, upto, limit=upto - after))

    # ---- pulling new events -------------------------------------------------------------------
    def wake(self) -> None:
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._pull_loop())

    async def _pull_loop(self) -> None:
        while self._dirty:
            self._dirty = False
            try:
                await self.pull()
            except Exception:
                log.exception("pull failed for session %s", self.session_id)
                return

    async def pull(self) -> None:
        async with self.lock:
            async with self.db.read() as tx:
                events = await read_after(tx, self.session_id, self.head)
            for ev in events:
                self.recent.append(ev)
                self._dispatch(ev)
                self.head = ev.seq

    def _dispatch(self, ev: EventRecord) -> None:
        cache: dict[str | None, str] = {}
        for conn in list(self.conns):
            self._deliver(conn, ev, cache)
        hub = self.hub
        if hub is not None and hub.on_fanout is not None:
            hub.on_fanout(max(0.0, (utcnow() - ev.at).total_seconds()))

    def _deliver(self, conn: Connection, ev: EventRecord, cache: dict[str | None, str]) -> None:
        if ev.seq <= conn.cursor or conn.closing:
            return
        if conn.sees(ev):
            variant = variant_of(ev, conn.listening, conn.person_id, conn.is_staff)
            frame = cache.get(variant)
            if frame is None:
                frame = cache[variant] = encode_event(ev, variant)
            if conn.push(frame):
                self.delivered += 1
        conn.observe(ev)
        conn.cursor = ev.seq


class Hub:
    def __init__(self, db: Database, poll_interval_s: float):
        self.db = db
        self.feeds: dict[str, SessionFeed] = {}
        self.poll_interval_s = poll_interval_s
        self._poller: asyncio.Task | None = None
        self.slow_closes = 0
        self._delivered_gone = 0
        self.on_fanout = None  # metrics: called with seconds from an event's ``at``

    @property
    def connections(self) -> int:
        return sum(len(f.conns) for f in self.feeds.values())

    @property
    def delivered(self) -> int:
        return sum(f.delivered for f in self.feeds.values()) + self._delivered_gone

    def feed(self, session_id: str, head: int) -> SessionFeed:
        f = self.feeds.get(session_id)
        if f is None:
            f = self.feeds[session_id] = SessionFeed(self.db, session_id, head)
            f.hub = self
        return f

    def release(self, feed: SessionFeed, conn: Connection) -> None:
        feed.detach(conn)
        if conn.close_code == 4408:
            self.slow_closes += 1
        if not feed.conns and self.feeds.get(feed.session_id) is feed:
            self._delivered_gone += feed.delivered
            del self.feeds[feed.session_id]

    def on_wake(self, session_id: str, seq: int) -> None:
        if session_id == "*":
            for f in list(self.feeds.values()):
                f.wake()
            return
        f = self.feeds.get(session_id)
        if f is not None and seq > f.head:
            f.wake()

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll(), name="hub-poll")

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval_s)
            for f in list(self.feeds.values()):
                f.wake()

    async def stop(self) -> None:
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(BaseException):
                await self._poller
        for f in self.feeds.values():
            for c in list(f.conns):
                c.close_soon(1012, "service restarting: reconnect with resume_from")
