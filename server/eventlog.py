"""The one place that assigns ``seq`` and stores events.

Every command locks its session row first (``SELECT ... FOR UPDATE``; on SQLite the
write transaction already holds the lock) and takes ``seq`` from the counter on that
row, so two processes never produce a gap or a duplicate, and commit order equals
seq order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

import orjson
from sqlalchemy import bindparam, delete, event, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from domain.audience import MODERATORS as MODERATORS
from domain.audience import SESSION as SESSION
from domain.audience import channel as channel
from domain.audience import person as person
from domain.audience import room as room

from . import bulk, errors
from .db import UTC, _json_dumps, _sqlite_text
from .event_registry import coerce, trusted
from .events import EventData
from .models import EventRecord, Session, utcnow

# events that move their ``person_id`` (room, channel heard): stored with the person
# in a column of its own, so that a resume finds one person's moves by index
PLACED = frozenset({"room.moved", "listening.changed"})
INSERT = insert(EventRecord.__table__)


# built once: a statement built per call costs ~17 us to build and ~30 us more for its
# cache key, which a reused one keeps (~3 % of a broadcast POST's CPU)
_LOCK = select(Session).where(Session.id == bindparam("session_id")).with_for_update()


async def lock_session(tx: AsyncSession, session_id: str) -> Session:
    row = (await tx.exec(_LOCK, params={"session_id": session_id})).first()
    if row is None:
        raise errors.NotFound(f"session {session_id} does not exist")
    return row


class LogRecord:
    """An event of this transaction: what followers and hooks read, and the row that
    is stored. Plain attributes, not an ORM instance: a round opening stores a
    thousand events, and the ORM's construction and unit of work cost more than the
    one multi-row insert they go out in at commit."""

    __slots__ = ("session_id", "seq", "type", "audience", "by", "data", "at", "event")

    COLUMNS = ("session_id", "seq", "type", "audience", "by", "data", "at")

    def __init__(self, session_id, seq, type, audience, by, data, at, event=None):  # noqa: A002
        self.session_id, self.seq, self.type = session_id, seq, type
        self.audience, self.by, self.data, self.at = audience, by, data, at
        self.event = event  # the typed event (followers match on its class, not on ``type``)

    def row(self) -> dict:
        row = {k: getattr(self, k) for k in self.COLUMNS}
        row["person_id"] = self.data.get("person_id") if self.type in PLACED else None
        return row


class EventLog:
    """Appends events for one locked session inside one transaction; they are
    inserted together just before it commits (after the followers and hooks that
    read them), so nothing is stored if it rolls back."""

    def __init__(
        self,
        tx: AsyncSession,
        session: Session,
        by: str | None,
        *,
        large_room: int,
        validate: bool = True,
    ):
        self.tx = tx
        self.session = session
        self.by = by
        # ``settings.large_room``: a room above it hears of arrivals and moves in
        # aggregate (counts, coalesced presence), not of each person
        self.large_room = large_room
        # ``settings.validate_events``: re-check the domain's events against their
        # schemas (the test suite, debugging); production trusts the domain's types
        self.validate = validate
        self.records: list[LogRecord] = []
        # the counter is kept here and written to the (ORM) session row when the
        # transaction flushes (``_sync_seq``): an attribute set on a SQLModel row costs
        # about 3 us, and an opening allocates 1,200 seqs. Mid-transaction, read
        # ``last_seq``, not ``session.seq``.
        self._seq = session.seq

    def emit_domain(self, type_: str, data: dict, audience: Iterable[str], **kw) -> LogRecord:
        """Emit an event the domain generated (``type_`` and its ``data()``): trusted
        as it is in production, validated when ``validate`` is set, where the trusted
        payload must also equal the validated one, so that the suite proves the
        production path stores what validation would have."""
        fast = trusted(type_, data)
        if self.validate:
            ev = coerce(type_, data)
            if fast is not None:
                expected = ev.model_dump(mode="json", by_alias=True)
                if orjson.dumps(fast[1]) != orjson.dumps(expected):
                    raise ValueError(
                        f"{type_}: trusted payload {fast[1]!r} differs from {expected!r}"
                    )
                if fast[0] != ev:
                    raise ValueError(f"{type_}: trusted event {fast[0]!r} differs from {ev!r}")
            return self.emit(ev, audience, **kw)
        if fast is None:
            return self.emit(coerce(type_, data), audience, **kw)
        return self.emit(fast[0], audience, payload=fast[1], **kw)

    def emit(
        self,
        data: EventData,
        audience: Iterable[str],
        *,
        by: str | None | type[Ellipsis] = ...,
        at: dt.datetime | None = None,
        payload: dict | None = None,
    ) -> LogRecord:
        """``payload``: ``data`` as JSON, when the caller has it (``emit_domain``)."""
        if not self.records:
            event.listen(self.tx.sync_session, "before_commit", self._store, once=True)
            event.listen(self.tx.sync_session, "before_flush", self._sync_seq)
            self.tx.add(self.session)
            self.session.seq = self._seq + 1  # the row is dirty: its flush syncs the rest
        self._seq += 1
        rec = LogRecord(
            self.session.id,
            self._seq,
            data.type,
            sorted(set(audience)),
            self.by if by is ... else by,
            data.model_dump(mode="json", by_alias=True) if payload is None else payload,
            at or utcnow(),
            data,
        )
        self.records.append(rec)
        return rec

    def _sync_seq(self, sync_session, flush_context, instances) -> None:
        if self.session.seq != self._seq:
            self.session.seq = self._seq

    def _store(self, sync_session) -> None:
        self._sync_seq(sync_session, None, None)
        if not self.records:
            return
        conn = sync_session.connection()
        if bulk.pg_batch(conn, len(self.records)):  # a round opening's 1,200 on PostgreSQL
            bulk.copy_sync(conn, EventRecord.__tablename__, ROW_KEYS, copy_rows(self.records))
            return
        if conn.dialect.name == "postgresql":  # a broadcast's one: rows and seq together
            sql, params = _insert_with_seq(len(self.records))
            conn.exec_driver_sql(sql, params(self.session.id, self._seq, self.records))
            set_committed_value(self.session, "seq", self._seq)  # no UPDATE of its own
            return
        fast = row_insert(conn.dialect)
        if fast is None:  # ``bulk``: an opening stores 1,200
            bulk.executemany_sync(conn, INSERT, [r.row() for r in self.records])
            return
        sql, params = fast
        conn.exec_driver_sql(sql, params(self.records))

    @property
    def last_seq(self) -> int:
        return self._seq


# The driver parameters of the log's rows straight from the records (issue 19): an
# opening's 1,200 rows went through a dict each and ``bulk``'s generic per-column loop
# (~4 ms); here each row is one tuple (SQLite) or dict (PostgreSQL) made with the same
# processors, where SQLite's are inlined: the log's JSON serializer and, for an aware
# UTC instant, its text (``db._sqlite_text``). Any other instant goes through the
# column's own processor. tests/unit/test_eventlog_rows.py checks that both give what
# ``bulk`` gives for every record.
ROW_KEYS = (*LogRecord.COLUMNS, "person_id")
_ROW_INSERTS: dict[int, tuple] = {}


def row_insert(dialect) -> tuple[str, Callable[[list[LogRecord]], list]] | None:
    hit = _ROW_INSERTS.get(id(dialect))
    if hit is None:
        hit = _ROW_INSERTS[id(dialect)] = (dialect, _prepare_insert(dialect))
    return hit[1]


def _prepare_insert(dialect) -> tuple[str, Callable[[list[LogRecord]], list]] | None:
    prep = bulk.prepared(INSERT, dialect, ROW_KEYS)
    compiled = INSERT.compile(dialect=dialect, column_keys=list(ROW_KEYS))
    names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
    if prep is None or names != list(ROW_KEYS) or compiled.escaped_bind_names:
        return None
    procs = compiled._bind_processors
    if set(procs) != {"audience", "data", "at"}:
        return None
    audience_of, data_of, at_of = procs["audience"], procs["data"], procs["at"]
    placed = PLACED
    if compiled.positional and dialect.name == "sqlite":
        dumps = dialect._json_serializer
        text = _sqlite_text

        def params(records: list[LogRecord]) -> list:
            return _tuples(records, dumps, lambda at: text(at) if at.tzinfo is UTC else at_of(at))

    elif not compiled.positional:

        def params(records: list[LogRecord]) -> list:
            return [
                {
                    "session_id": r.session_id,
                    "seq": r.seq,
                    "type": r.type,
                    "audience": audience_of(r.audience),
                    "by": r.by,
                    "data": data_of(r.data),
                    "at": at_of(r.at),
                    "person_id": r.data.get("person_id") if r.type in placed else None,
                }
                for r in records
            ]

    else:
        return None
    return prep[0], params


# PostgreSQL, fewer than ``bulk.COPY_FROM`` rows (a broadcast, a chat message: one):
# the rows and the session's new seq in one statement, one round trip instead of the
# INSERT's and the ORM's UPDATE's
_WITH_SEQ: dict[int, tuple[str, Callable]] = {}


def _insert_with_seq(n: int) -> tuple[str, Callable]:
    hit = _WITH_SEQ.get(n)
    if hit is None:
        quote = _PG.identifier_preparer.quote
        cols = ", ".join(quote(c) for c in ROW_KEYS)
        casts = ("text", "integer", "text", "json", "text", "json", "timestamptz", "text")
        values = ", ".join(
            "(" + ", ".join(f"%(c{i}_{j})s::{t}" for j, t in enumerate(casts)) + ")"
            for i in range(n)
        )
        sql = (
            f"WITH stored AS (INSERT INTO event_log ({cols}) VALUES {values}) "
            "UPDATE sessions SET seq = %(seq)s WHERE id = %(session_id)s"
        )

        def params(session_id: str, seq: int, records: list[LogRecord]) -> dict:
            out: dict = {"seq": seq, "session_id": session_id}
            for i, row in enumerate(copy_rows(records)):
                for j, value in enumerate(row):
                    out[f"c{i}_{j}"] = value
            return out

        hit = _WITH_SEQ[n] = (sql, params)
    return hit


_AT = EventRecord.__table__.c.at.type  # refuses a naive instant, converts to UTC
_PG = postgresql.dialect()


def copy_rows(records: list[LogRecord]) -> list[tuple]:
    """The log's rows for PostgreSQL's COPY (``bulk.copy_sync``): what ``row_insert``
    gives its driver, with the JSON columns as the text its ``Json`` wrappers make."""
    return _tuples(
        records, _json_dumps, lambda at: at if at.tzinfo is UTC else _AT.process_bind_param(at, _PG)
    )


def _tuples(records: list[LogRecord], dumps, at_of) -> list[tuple]:
    """Each record as the ``ROW_KEYS`` of its row: JSON by ``dumps``, the instant by
    ``at_of``, the person's column filled for ``PLACED`` types."""
    placed = PLACED
    return [
        (
            r.session_id,
            r.seq,
            r.type,
            dumps(r.audience),
            r.by,
            dumps(r.data),
            at_of(r.at),
            r.data.get("person_id") if r.type in placed else None,
        )
        for r in records
    ]


async def read_after(
    tx: AsyncSession, session_id: str, after: int, upto: int | None = None, limit: int = 5000
) -> Sequence[EventRecord]:
    q = select(EventRecord).where(EventRecord.session_id == session_id, EventRecord.seq > after)
    if upto is not None:
        q = q.where(EventRecord.seq <= upto)
    q = q.order_by(EventRecord.seq).limit(limit)
    return list((await tx.exec(q)).all())


async def prune(tx: AsyncSession, session: Session, keep_events: int, keep_hours: float) -> int:
    """Drop events older than both limits; ``log_floor`` records the last dropped seq.
    Moves attendance has not counted yet (``attendance_from``) stay."""
    cutoff_seq = session.seq - keep_events
    if session.attendance_from is not None:
        cutoff_seq = min(cutoff_seq, session.attendance_from - 1)
    if cutoff_seq <= session.log_floor:
        return 0
    cutoff_at = utcnow() - dt.timedelta(hours=keep_hours)
    old = (
        await tx.exec(
            select(EventRecord.seq)
            .where(
                EventRecord.session_id == session.id,
                EventRecord.seq <= cutoff_seq,
                EventRecord.at < cutoff_at,
            )
            .order_by(EventRecord.seq.desc())
            .limit(1)
        )
    ).first()
    if old is None:
        return 0
    floor = old if isinstance(old, int) else old[0]
    result = await tx.exec(
        delete(EventRecord).where(EventRecord.session_id == session.id, EventRecord.seq <= floor)
    )
    session.log_floor = floor
    tx.add(session)
    return result.rowcount or 0
