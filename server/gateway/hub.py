"""Per-process fan-out: one feed per session, one log read per new seq, one encode
per audience variant. Wake-ups come from the broker; a poll catches anything a lost
wake-up missed.

Each feed keeps its newest events in memory for resumes, bounded by count and by
bytes (a broadcast in 40 languages weighs hundreds of kB); older ones are read from
the log. The window is indexed by audience target and by whose place an event
changes, so that a resume storm costs each client its own events, not the window:
after a round opening, 1,000 clients replaying 1,000 ``room.moved`` each would be
a million audience checks.

This process's own commits are handed to its feeds in-process (``Hub.handoff``): the
feed sends the records the command stored instead of reading them back (an opening
is 1,200 rows). Only a contiguous run from the feed's head is taken that way; a gap
(another process's commit, a handoff that came late) is read from the log, which
stays the one source of order."""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import itertools
import logging
from collections.abc import Collection

import orjson
from sqlalchemy import select

from .. import outage
from ..db import Database
from ..models import EventRecord, utcnow
from . import session_view
from .connection import ENDS_TOKEN, OBSERVED, Connection, flush_all, hold, send
from .frames import (
    LOG_COLUMNS,
    ROOM_VARIANTS,
    LogEvent,
    encode_event,
    encode_variants,
    variant_of,
    varies,
)
from .session_view import SessionView
from .snapshot import Miss, SharedParts

log = logging.getLogger("convene.gateway")

RECENT = 4096
RECENT_BYTES = 4 * 2**20  # per session; settings.feed_recent_bytes
EVENT_OVERHEAD = 300  # bytes an event costs besides its data (objects, seq, at, audience)
Fan = tuple[bytes, Collection[Connection]]  # a frame and who gets it


def _keys(ev: LogEvent) -> list[str]:
    """Where ``ev`` is filed in a feed's index: its audience targets (``moderators``
    aside: staff replays read the whole window) and, for a change of its person's
    own state, ``self:<person>``."""
    keys = [t for t in ev.audience if t != "moderators"]
    if ev.type in OBSERVED:
        pid = ev.data.get("person_id")
        if isinstance(pid, str):
            keys.append("self:" + pid)
    return keys


def _seq(ev: LogEvent) -> int:
    return ev.seq


async def read_events(tx, session_id: str, after: int, upto: int | None = None, limit: int = 5000):
    """The log after ``after`` (up to ``upto``) as plain ``LogEvent`` rows."""
    q = select(*LOG_COLUMNS).where(EventRecord.session_id == session_id, EventRecord.seq > after)
    if upto is not None:
        q = q.where(EventRecord.seq <= upto)
    rows = await tx.execute(q.order_by(EventRecord.seq).limit(limit))
    return [LogEvent(*row) for row in rows.all()]


def _weight(ev: LogEvent) -> int:
    """What keeping ``ev`` costs, near enough: its data as JSON plus a fixed overhead;
    twice that for non-ASCII text, which Python holds both as the string and as the
    UTF-8 copy that encoding it (for the frames) caches on it."""
    raw = orjson.dumps(ev.data)
    return len(raw) * (1 if raw.isascii() else 2) + EVENT_OVERHEAD


class SessionFeed:
    def __init__(self, db: Database, session_id: str, head: int, recent_bytes: int = RECENT_BYTES):
        self.db = db
        self.session_id = session_id
        self.head = head
        self.asked = head  # the newest seq a wake-up announced
        self.conns: set[Connection] = set()
        # who is where, so that an event costs only its recipients (a moderators' event
        # in a plenary of 5,000 touches the few staff connections, not 5,000)
        self.staff: set[Connection] = set()
        self.by_room: dict[str | None, set[Connection]] = {}
        self.by_person: dict[str | None, set[Connection]] = {}
        # attached with a snapshot newer than ``head``: they skip the events they have
        self.ahead: set[Connection] = set()
        # the newest events, for resumes: at most RECENT of them and ``max_recent_bytes``
        self.recent: collections.deque[LogEvent] = collections.deque()
        self._weights: collections.deque[int] = collections.deque()
        self.recent_bytes = 0
        self.max_recent_bytes = recent_bytes
        self.index: dict[str, list[LogEvent]] = {}  # the window by ``_keys``, in seq order
        # the window's newest events not in the index yet: they are filed when a replay
        # reads it (``_index_up``), not as they are pulled
        self._unindexed = 0
        self.lock = asyncio.Lock()
        self._dirty = False
        self._task: asyncio.Task | None = None
        # committed by this process, not yet sent: seq -> event (``Hub.handoff``)
        self.pending: dict[int, LogEvent] = {}
        self.delivered = 0
        self.hub: Hub | None = None
        # the session as of a seq, followed from the events pulled (participants'
        # snapshots); None until a handshake reads one, or once it could not follow
        self.view: SessionView | None = None
        self._loading: asyncio.Future | None = None
        self._pulled: asyncio.Future | None = None  # done when the running pull ends
        self._channels: asyncio.Future | None = None

    # ---- attaching --------------------------------------------------------------------------
    async def attach(self, conn: Connection, cursor: int) -> None:
        """Deliver everything after ``cursor`` to ``conn``, then keep it live."""
        async with self.lock:
            conn.cursor = cursor
            if cursor < self.head:
                held: list[Connection] = []
                if self._holds(cursor) and not conn.is_staff:
                    self._replay(conn, cursor, held)
                else:
                    for ev in await self._range(cursor, self.head):
                        self._deliver(conn, ev, {}, held)
                conn.flush()  # a replay is one write
            conn.cursor = max(cursor, self.head)
            if cursor > self.head:
                self.ahead.add(conn)
            self.conns.add(conn)
            if conn.is_staff:
                self.staff.add(conn)
            self.by_room.setdefault(conn.room_id, set()).add(conn)
            self.by_person.setdefault(conn.person_id, set()).add(conn)
        hub = self.hub
        if hub is not None and hub.on_attach is not None:
            hub.on_attach()

    def detach(self, conn: Connection) -> None:
        if conn not in self.conns:
            return
        self.conns.discard(conn)
        self.staff.discard(conn)
        self.ahead.discard(conn)
        _drop(self.by_room, conn.room_id, conn)
        _drop(self.by_person, conn.person_id, conn)

    def recipients(self, ev: LogEvent) -> set[Connection]:
        """The connections that see ``ev`` (``Connection.sees`` of each, by bucket)."""
        out: set[Connection] = set()
        for target in ev.audience:
            if target == "session":
                return set(self.conns)
            kind, _, rest = target.partition(":")
            if kind == "moderators":
                out |= self.staff
            elif kind == "room":
                out |= self.staff
                out |= self.by_room.get(rest, set())
            elif kind == "person":
                out |= self.by_person.get(rest, set())
            elif kind == "channel":
                room, _, lang = rest.partition(":")
                out |= self.staff
                out.update(c for c in self.by_room.get(room, ()) if lang in c.booths)
            elif kind == "interpreters":
                out |= self.staff
                out.update(c for c in self.by_room.get(rest, ()) if c.booths)
            elif kind == "booth":
                room, _, lang = rest.partition(":")
                out.update(
                    c for c in self.by_room.get(room, ()) if lang in c.booths and not c.is_staff
                )
        return out

    def remember(self, ev: LogEvent) -> None:
        """Keep ``ev`` among the recent events; the oldest go first past either bound."""
        self._file(ev)
        self._trim()

    def _file(self, ev: LogEvent) -> None:
        """Add ``ev`` to the window, past the bounds until ``_trim``; the index has it
        once a replay asks (``_index_up``)."""
        weight = _weight(ev)
        self.recent.append(ev)
        self._weights.append(weight)
        self.recent_bytes += weight
        self._unindexed += 1

    def _index_up(self) -> None:
        """File the window's events that the index does not hold yet. Indexing each
        event as it was pulled cost a fifth of an opening's pull, for replays that may
        never come; a resume storm files them once, for all its clients."""
        n = self._unindexed
        if not n:
            return
        self._unindexed = 0
        index = self.index
        for ev in _last(self.recent, n):
            for key in _keys(ev):
                filed = index.get(key)
                if filed is None:
                    index[key] = [ev]
                else:
                    filed.append(ev)

    def _trim(self) -> None:
        """Drop the oldest events past either bound. Once after a pull's events ends as
        once after each: what each trim keeps, the next one's events only push out."""
        recent, weights, index = self.recent, self._weights, self.index
        limit = self.max_recent_bytes
        while recent and (len(recent) > RECENT or self.recent_bytes > limit):
            if len(recent) <= self._unindexed:  # the oldest was never filed
                self._unindexed -= 1
                recent.popleft()
                self.recent_bytes -= weights.popleft()
                continue
            old = recent.popleft()
            self.recent_bytes -= weights.popleft()
            for key in _keys(old):
                filed = index.get(key)
                if filed and filed[0] is old:
                    del filed[0]
                    if not filed:
                        del index[key]

    def _keep_older(self, events: list[LogEvent]) -> None:
        """Put events read from the log in front of the window, newest first, while
        they fit: the next client resuming from the same place reads memory."""
        start = self.recent[0].seq if self.recent else self.head + 1
        older = [ev for ev in events if ev.seq < start]
        if not older or older[-1].seq != start - 1:
            return  # not adjacent to the window (or nothing older)
        self._index_up()  # what follows them is filed before they go in front of it
        kept: list[LogEvent] = []
        for ev in reversed(older):
            weight = _weight(ev)
            if len(self.recent) >= RECENT or self.recent_bytes + weight > self.max_recent_bytes:
                break
            self.recent.appendleft(ev)
            self._weights.appendleft(weight)
            self.recent_bytes += weight
            kept.append(ev)
        for ev in kept:  # newest first: each goes before what the index holds
            for key in _keys(ev):
                self.index.setdefault(key, []).insert(0, ev)

    def _holds(self, after: int) -> bool:
        """Whether memory has every event of (after, head]."""
        return after >= self.head or bool(self.recent and self.recent[0].seq <= after + 1)

    async def _range(self, after: int, upto: int) -> list[LogEvent]:
        if self._holds(after):
            return _newest(self.recent, after, upto)
        async with self.db.read() as tx:
            events = await read_events(tx, self.session_id, after, upto, limit=upto - after)
        if upto == self.head:
            self._keep_older(events)
        return events

    def _filed(self, key: str, after: int, upto: int) -> list[LogEvent]:
        self._index_up()
        filed = self.index.get(key)
        if not filed:
            return []
        lo = bisect.bisect_right(filed, after, key=_seq)
        hi = bisect.bisect_right(filed, upto, key=_seq, lo=lo)
        return filed[lo:hi]

    def _replay(self, conn: Connection, after: int, held: list[Connection]) -> None:
        """Replay (after, head] from memory to a participant's ``conn``, reading only
        the index entries that could reach it: between two of its own moves (or
        channel changes) its room and channel are fixed, so the events it may see
        there are filed under a handful of keys. Each goes through ``_deliver`` as in
        a full scan, in seq order, so what is sent is exactly what a scan sends."""
        own = self._filed("self:" + conn.person_id, after, self.head) if conn.person_id else []
        pos = after
        for turn in [*own, None]:
            end = turn.seq - 1 if turn is not None else self.head
            if end > pos:
                found: dict[int, LogEvent] = {}
                for key in _watched(conn):
                    for ev in self._filed(key, pos, end):
                        found[ev.seq] = ev
                for seq in sorted(found):
                    self._deliver(conn, found[seq], {}, held)
            if turn is not None:
                self._deliver(conn, turn, {}, held)
                pos = turn.seq

    def place_as_of(self, person_id: str, seq: int) -> tuple | None:
        """The person's first room move and first channel change after ``seq`` among
        the feed's events (each ``None`` if there is none), or ``None`` if memory does
        not hold everything after ``seq``. Their ``from_room``/``previous`` is where the
        person was at ``seq``."""
        if not self._holds(seq):
            return None
        moved = changed = None
        for ev in self._filed("self:" + person_id, seq, self.head):
            if ev.type == "room.moved" and moved is None:
                moved = ev
            elif ev.type == "listening.changed" and changed is None:
                changed = ev
        return moved, changed

    async def catch_up(self, seq: int) -> None:
        """Pull until ``head`` reaches ``seq`` (stored already): the clients of a
        resume storm wait on one read instead of each making their own."""
        if self.head >= seq:
            return
        async with self.lock:
            while self.head < seq:  # handed-over events may stop short of it: then the log
                before = self.head
                await self._pull()
                if self.head == before:
                    break

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
            finally:
                pulled, self._pulled = self._pulled, None
                if pulled is not None and not pulled.done():
                    pulled.set_result(None)

    async def caught_up(self, seq: int, tries: int = 5) -> bool:
        """Whether this feed has pulled up to ``seq`` (waking it for at most ``tries``
        pulls): a handshake's snapshot must include what was stored before it."""
        for _ in range(tries):
            if self.head >= seq:
                return True
            if self._pulled is None:
                self._pulled = asyncio.get_running_loop().create_future()
            pulled = self._pulled
            self.wake()
            await asyncio.shield(pulled)
        return self.head >= seq

    # ---- participants' snapshots from the view --------------------------------------------
    async def view_snapshot(
        self, caller, seq: int, large_room: int, ws_base: str, parts, max_age_s: float
    ) -> dict | None:
        """``caller``'s snapshot at a seq of at least ``seq``, built from the view
        (None: build it from the database). Events after its seq reach the connection
        from this feed, as after any snapshot."""
        if not await self.caught_up(seq):
            return None
        view = self.view
        if view is None or not view.fresh(ws_base, max_age_s):
            self.view = None
            if self._loading is None:
                self._loading = asyncio.ensure_future(self._load_view(large_room, ws_base, parts))
            view = await asyncio.shield(self._loading)
        if view is None or view.seq < seq:
            return None
        for _ in range(3):  # past arrivals, the channels are read again, with their seq
            if view.channels_at == view.seq:
                break
            now, channels = await self._channels_now()
            if now is None:
                return None
            if not view.set_channels(now, channels):
                if now < view.seq or not await self.caught_up(now):
                    return None
                view = self.view
                if view is None:
                    return None
        try:
            return await view.snapshot(caller, large_room, ws_base, parts)
        except Miss:
            return None

    async def _channels_now(self) -> tuple[int | None, dict | None]:
        """One read of the channels at a time: the handshakes waiting share it."""
        if self._channels is None:
            self._channels = asyncio.ensure_future(
                session_view.channels_now(self.db, self.session_id)
            )
            self._channels.add_done_callback(self._channels_read)
        return await asyncio.shield(self._channels)

    def _channels_read(self, fut: asyncio.Future) -> None:
        if self._channels is fut:
            self._channels = None

    async def _load_view(self, large_room: int, ws_base: str, parts) -> SessionView | None:
        try:
            view = await session_view.load(self.db, self.session_id, large_room, ws_base, parts)
        except Exception as exc:  # the handshake reads the database instead
            if outage.database_unavailable(exc):
                log.warning("session view of %s not read: database unavailable", self.session_id)
            else:
                log.exception("session view of %s not read", self.session_id)
            return None
        finally:
            self._loading = None
        if view is None:
            return None
        if view.seq < self.head:  # pulled while it was read: follow those events too
            if not self.recent or self.recent[0].seq > view.seq + 1:
                return None
            for ev in _newest(self.recent, view.seq, self.head):
                if not view.apply(ev):
                    return None
        self.view = view
        return view

    def offer(self, events: list[LogEvent]) -> None:
        """Events this process committed, in seq order; the next pull sends them."""
        head = self.head
        for ev in events:
            if ev.seq > head:
                self.pending[ev.seq] = ev

    def _handed(self) -> list[LogEvent]:
        """The pending events that follow the head without a gap (the rest wait, or are
        read from the log once it has them)."""
        pending = self.pending
        out: list[LogEvent] = []
        seq = self.head + 1
        while (ev := pending.pop(seq, None)) is not None:
            out.append(ev)
            seq += 1
        return out

    async def pull(self) -> None:
        async with self.lock:
            await self._pull()

    async def _pull(self) -> None:
        events = self._handed()
        if not events:
            async with self.db.quick() as tx:  # one statement: no transaction around it
                events = await read_events(tx, self.session_id, self.head)
        elif self.asked > events[-1].seq:
            self._dirty = True  # announced beyond what was handed over: read it next
        held: list[Connection] = []  # connections holding frames of this pull (``add``)
        fans: list[Fan] = []
        direct = len(events) == 1  # each connection is in one of its fans at most
        done = 0  # events fanned out (the latency metric)
        try:
            for ev in events:
                if ev.type == "chat.deleted":
                    self.erase_message(ev.data.get("id"))
                elif ev.type in ENDS_TOKEN and self.hub and self.hub.on_token_end:
                    self.hub.on_token_end(ev.data.get("person_id"))  # the token cache
                self._file(ev)  # trimmed once, after the loop
                if self.view is not None and not self.view.apply(ev):
                    self.view = None  # an event it cannot follow: read it again
                fans = self._dispatch(ev, held)
                if not direct:  # a connection's frames of this pull go as one write
                    for frame, conns in fans:
                        self.delivered += hold(frame, conns, held)
                    fans = []
                self.head = ev.seq
                done += 1
        finally:
            self._trim()
            for frame, conns in fans:
                self.delivered += send((frame,), conns)
            flush_all(held)
            if self.pending:
                self._forget_sent(progressed=bool(events))
            self._observe(events[:done] if done < len(events) else events)

    def _observe(self, events: list[LogEvent]) -> None:
        """The fan-out latency of the events just sent, as their frames were written."""
        hub = self.hub
        if hub is None or hub.on_fanout is None or not events:
            return
        now = utcnow()
        hub.on_fanout([max(0.0, (now - ev.at).total_seconds()) for ev in events])

    def _forget_sent(self, progressed: bool) -> None:
        head = self.head
        for seq in [s for s in self.pending if s <= head]:
            del self.pending[seq]
        if self.pending and progressed:
            self._dirty = True  # held back by a gap: read the log up to them

    def erase_message(self, message_id: str | None) -> None:
        """A deleted chat message leaves this process's memory too (the log row was
        blanked in the deleting transaction): resumes served from memory never show it."""
        for ev in self.recent:
            if ev.type == "chat.message" and ev.data.get("id") == message_id:
                ev.data = {**ev.data, "text": "", "deleted": True}

    def _dispatch(self, ev: LogEvent, held: list[Connection]) -> list[Fan]:
        """Who gets ``ev``, by frame (the caller sends them). The connections of its
        person follow their own change one by one (``_deliver``: held for ``flush``)."""
        cache: dict[str | None, bytes] = {}
        if ev.type in OBSERVED and not self.ahead:
            fans = self._own_change(ev, cache, held)
            if fans is not None:
                return fans
        told = self.recipients(ev)
        if self.ahead:
            self._skip_had(ev.seq, told)
        if ev.type in OBSERVED:  # the person's own change, even where it is not sent
            for conn in list(self.by_person.get(ev.data.get("person_id"), ())):
                self._deliver(conn, ev, cache, held, seen=conn in told)
                told.discard(conn)
        return _variants(ev, told, cache)

    def _own_change(
        self, ev: LogEvent, cache: dict[str | None, bytes], held: list[Connection]
    ) -> list[Fan] | None:
        """``_dispatch`` of a person's own change told to them and the moderators only
        (each ``room.moved`` of an opening), without building its recipients' set: their
        connections follow it, the other staff get it. None: another audience."""
        pid = ev.data.get("person_id")
        audience = ev.audience
        if len(audience) != 2 or not isinstance(pid, str):
            return None
        first, second = audience
        target = "person:" + pid
        if not (
            (first == target and second == "moderators")
            or (first == "moderators" and second == target)
        ):
            return None
        mine = self.by_person.get(pid)
        staff = self.staff
        if mine:
            for conn in list(mine):
                self._deliver(conn, ev, cache, held, seen=True)
            others = [conn for conn in staff if conn not in mine]
        else:
            others = list(staff)
        return _variants(ev, others, cache)

    def _skip_had(self, seq: int, told: set[Connection]) -> None:
        """Leave out of ``told`` the connections whose snapshot has ``seq`` already;
        forget those that it has caught up with."""
        for conn in list(self.ahead):
            if conn.cursor >= seq:
                told.discard(conn)
            else:
                self.ahead.discard(conn)

    def _deliver(
        self,
        conn: Connection,
        ev: LogEvent,
        cache: dict[str | None, bytes],
        held: list[Connection],
        seen: bool = False,
    ) -> None:
        """Hold ``ev`` for ``conn`` (flushed by the caller) if it sees it (``seen``:
        known already) and follow its own changes (a move re-files it under its new
        room)."""
        if ev.seq <= conn.cursor or conn.closing:
            return
        if seen or conn.sees(ev):
            variant = variant_of(ev, conn.listening, conn.person_id, conn.is_staff)
            if conn.add(_frame(ev, variant, cache)):
                held.append(conn)
            self.delivered += 1
        room = conn.room_id
        conn.observe(ev)
        conn.cursor = ev.seq
        if conn.room_id != room and conn in self.conns:
            _drop(self.by_room, room, conn)
            self.by_room.setdefault(conn.room_id, set()).add(conn)


def _variants(ev: LogEvent, conns: set[Connection], cache: dict[str | None, bytes]) -> list[Fan]:
    """``conns`` by the frame of ``ev`` each gets (``variant_of``), encoded once a
    variant (``cache``); nothing is encoded for nobody."""
    if not conns:
        return []
    if not varies(ev):
        return [(_frame(ev, None, cache), conns)]
    groups: dict[str | None, list[Connection]] = {}
    for conn in conns:
        variant = variant_of(ev, conn.listening, conn.person_id, conn.is_staff)
        groups.setdefault(variant, []).append(conn)
    if ev.type in ROOM_VARIANTS:  # a room's variants share all but their members
        cache.update(encode_variants(ev, [v for v in groups if v not in cache]))
    return [(_frame(ev, variant, cache), group) for variant, group in groups.items()]


def _frame(ev: LogEvent, variant: str | None, cache: dict[str | None, bytes]) -> bytes:
    """``ev``'s frame for ``variant``, encoded once per event (``cache``)."""
    frame = cache.get(variant)
    if frame is None:
        frame = cache[variant] = encode_event(ev, variant)
    return frame


def _newest(recent: collections.deque[LogEvent], after: int, upto: int) -> list[LogEvent]:
    """The events of (after, upto] among the newest ones, read from the right: their
    cost is theirs, not the whole memory's."""
    out = []
    for ev in reversed(recent):
        if ev.seq <= after:
            break
        if ev.seq <= upto:
            out.append(ev)
    out.reverse()
    return out


def _last(recent: collections.deque[LogEvent], n: int) -> list[LogEvent]:
    """The ``n`` newest of ``recent``, oldest first."""
    out = list(itertools.islice(reversed(recent), n))
    out.reverse()
    return out


def _watched(conn: Connection) -> list[str]:
    """The index keys under which an event may reach a participant's ``conn`` as it
    is now (``Connection.sees``, target by target, staff aside)."""
    keys = ["session"]
    if conn.person_id is not None:
        keys.append("person:" + conn.person_id)
    room = conn.room_id
    if room is not None:
        keys.append("room:" + room)
        if conn.booths:
            keys.append("interpreters:" + room)
            for lang in conn.booths:
                keys += (f"channel:{room}:{lang}", f"booth:{room}:{lang}")
    return keys


def _drop(buckets: dict, key, conn: Connection) -> None:
    bucket = buckets.get(key)
    if bucket is not None:
        bucket.discard(conn)
        if not bucket:
            del buckets[key]


class Hub:
    def __init__(self, db: Database, poll_interval_s: float, recent_bytes: int = RECENT_BYTES):
        self.db = db
        self.recent_bytes = recent_bytes  # each feed's bound on its recent events
        self.feeds: dict[str, SessionFeed] = {}
        self.poll_interval_s = poll_interval_s
        self._poller: asyncio.Task | None = None
        self.slow_closes = 0
        self._delivered_gone = 0
        # metrics: called with the seconds from each event's ``at`` of a pull
        self.on_fanout = None
        self.on_token_end = None  # called with the person id of a token that ended
        self.on_attach = None  # the GC policy: called after each connection is attached
        self.shared = SharedParts()  # participants' snapshots of one seq share these reads
        self.snapshots = {"view": 0, "database": 0}  # where handshakes' snapshots came from

    @property
    def connections(self) -> int:
        return sum(len(f.conns) for f in self.feeds.values())

    @property
    def delivered(self) -> int:
        return sum(f.delivered for f in self.feeds.values()) + self._delivered_gone

    async def snapshot(
        self, session_id: str, caller, large_room: int, ws_base: str, parts
    ) -> dict | None:
        """A participant's snapshot from the session's view, when this process has a
        feed of the session (None: build it from the database). It holds everything
        this process was told is stored (``SessionFeed.asked``): its own commits wake
        the hub before the command returns (in line, or with the in-process broker a
        callback that runs before the command's caller resumes), so a handshake's own
        arrival is in it, without a read of the session's seq."""
        if caller.is_staff or caller.person_id is None:
            return None
        f = self.feeds.get(session_id)
        if f is None:
            return None
        snap = await f.view_snapshot(
            caller, max(f.head, f.asked), large_room, ws_base, parts, self.shared.max_age_s
        )
        if snap is not None:
            self.snapshots["view"] += 1
        return snap

    def feed(self, session_id: str, head: int) -> SessionFeed:
        f = self.feeds.get(session_id)
        if f is None:
            f = self.feeds[session_id] = SessionFeed(self.db, session_id, head, self.recent_bytes)
            f.hub = self
        return f

    def release(self, feed: SessionFeed, conn: Connection) -> None:
        feed.detach(conn)
        if conn.close_code == 4408:
            self.slow_closes += 1
        if not feed.conns and self.feeds.get(feed.session_id) is feed:
            self._delivered_gone += feed.delivered
            del self.feeds[feed.session_id]

    def handoff(self, session_id: str, records) -> None:
        """Right after a commit of this process: its ``LogRecord``s, so that this
        process's feed of the session sends them without reading them back; the wake-up
        that follows (``on_wake``) pulls them."""
        f = self.feeds.get(session_id)
        if f is None or not records:
            return
        f.offer(
            [LogEvent(r.seq, r.type, r.session_id, r.at, r.by, r.data, r.audience) for r in records]
        )

    def on_wake(self, session_id: str, seq: int) -> None:
        if session_id == "*":
            for f in list(self.feeds.values()):
                f.wake()
            return
        f = self.feeds.get(session_id)
        if f is not None and seq > max(f.head, f.asked):
            f.asked = seq  # the same seq told twice (here, then by Redis) pulls once
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
