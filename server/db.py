"""Engines and transactions for SQLite (default) and PostgreSQL.

Writes take the database's write lock up front (``BEGIN IMMEDIATE`` on SQLite, a
``SELECT ... FOR UPDATE`` on the session row on PostgreSQL), so a read that later
upgrades to a write never fails with "database is locked". Reads for snapshots run
in one consistent transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

import orjson
from sqlalchemy import DateTime, event
from sqlalchemy.dialects.sqlite.base import DATETIME as SQLiteDateTime
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel.ext.asyncio.session import AsyncSession

from . import sqlite_driver

UTC = dt.UTC


class _SQLiteText(SQLiteDateTime):
    """SQLite's DATETIME, given its text by ``UTCDateTime``: SQLAlchemy's own bind
    processor formats each value through a dict (about 2 us), which a round opening
    paid some 5,000 times (placements, tallies, events). Read back as aware UTC,
    cached by text like the writes."""

    def bind_processor(self, dialect):
        return None

    def result_processor(self, dialect, coltype):
        parse = super().result_processor(dialect, coltype)

        @lru_cache(maxsize=4096)
        def instant(value: str):
            parsed = parse(value) if parse is not None else value
            if not isinstance(parsed, dt.datetime) or parsed.tzinfo is not None:
                return parsed  # not what ``UTCDateTime`` wrote: as before
            return parsed.replace(tzinfo=UTC)

        def process(value):
            return None if value is None else instant(value)

        return process


# cached by instant: the rows of one command share a few (an opening's thousand
# moves, ``now``)
@lru_cache(maxsize=4096)
def _sqlite_text(value: dt.datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores for aware UTC ``value``: always
    six decimals."""
    value = value.replace(tzinfo=None)
    text = value.isoformat(" ")
    return text if value.microsecond else text + ".000000"


class UTCDateTime(TypeDecorator):
    """Stores aware UTC and always returns aware UTC (SQLite would return naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteText())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return _sqlite_text(value)
        return value

    def process_result_value(self, value, dialect):
        if value is None or value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# backend -> (async driver, sync driver)
_DRIVERS = {
    "sqlite": ("sqlite+aiosqlite", "sqlite"),
    "postgresql": ("postgresql+psycopg", "postgresql+psycopg"),
    "postgres": ("postgresql+psycopg", "postgresql+psycopg"),
}


# libpq's connect_timeout (seconds) unless the URL gives its own: without one, a host
# that accepts and never answers (a firewall that drops, a hung server) holds a
# connection attempt, and whatever waits on it, for ever
CONNECT_TIMEOUT_S = 10


def _with_driver(url: str, which: int) -> str:
    u = make_url(url)
    backend = u.get_backend_name()
    if backend not in _DRIVERS:
        raise ValueError(f"unsupported database URL scheme: {backend}")
    if backend != "sqlite" and "connect_timeout" not in u.query:
        u = u.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    return u.set(drivername=_DRIVERS[backend][which]).render_as_string(hide_password=False)


def unreachable(url: str) -> str | None:
    """Why the database of ``url`` cannot be reached now (None: it can), in one line
    naming its host, port and database but never the password."""
    if make_url(url).get_backend_name() == "sqlite":
        return None
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.pool import NullPool

    u = make_url(sync_url(url))
    engine = create_engine(u, poolclass=NullPool, hide_parameters=True)
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        where = f"{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"
        return (
            f"the database at {where} cannot be reached: {reason} (CONVENE_DATABASE_URL; "
            f"one that does not answer is given up after "
            f"connect_timeout={u.query.get('connect_timeout')} s)"
        )
    finally:
        engine.dispose()


def async_url(url: str) -> str:
    """The async driver URL for a plain ``sqlite://`` or ``postgresql://`` URL."""
    return _with_driver(url, 0)


def sync_url(url: str) -> str:
    """The synchronous driver URL (Alembic, CLI helpers)."""
    return _with_driver(url, 1)


def _json_dumps(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (event data, audiences, channel views) are decoded on every log read
JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
# A failing statement's error (and the traceback a 500 logs) names the SQL but never
# its bound values: they can be webhook secrets or e-mail addresses.
ENGINE_OPTIONS = {**JSON_CODEC, "hide_parameters": True}


# SQLite's automatic checkpoint runs inside the commit that grows the write-ahead log
# past its threshold (1,000 pages by default): a round opening of 1,000 people dirties
# about that many pages (each ``room.moved`` lands on its person's page of the log's
# person index), so in a long session nearly every opening paid a 6-16 ms checkpoint
# before its commit returned. ``Database.checkpoint`` runs it in the background
# instead (``CHECKPOINT_EVERY_S``); the automatic one stays as a bound should that stall.
WAL_AUTOCHECKPOINT_PAGES = 16384  # 64 MiB of 4 KiB pages
CHECKPOINT_EVERY_S = 1.0


def _sqlite_engine(url: str, *, begin: str | None) -> AsyncEngine:
    engine = create_async_engine(
        url, connect_args={"timeout": 30}, module=sqlite_driver.dbapi(), **ENGINE_OPTIONS
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()

    if begin is not None:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql(begin)

    return engine


class Database:
    """Owns the engines; hands out write and read transactions."""

    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        aurl = async_url(url)
        if self.is_sqlite:
            self.writer = _sqlite_engine(aurl, begin="BEGIN IMMEDIATE")
            self.reader = _sqlite_engine(aurl, begin="BEGIN")
            self.autocommit = _sqlite_engine(aurl, begin=None)
        else:
            # A pool large enough that a reconnect storm reuses connections instead of
            # opening (and PostgreSQL forking a backend for) an overflow one per request.
            # No pre-ping: it costs a round trip per transaction; after a database
            # restart the first failing use invalidates the whole pool instead.
            self.writer = create_async_engine(
                aurl, pool_size=20, max_overflow=10, pool_recycle=1800, **ENGINE_OPTIONS
            )
            self.reader = self.writer.execution_options(isolation_level="REPEATABLE READ")
            self.autocommit = self.writer.execution_options(isolation_level="AUTOCOMMIT")
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._unchecked = False  # SQLite: written since the last checkpoint
        # what this process last stored, per kind (a session's interpretation state),
        # reached from any transaction as ``tx.info["memo"]``: one per ``Database``,
        # so two apps in one process share none of it
        self.memo: dict = {}
        made = {"class_": AsyncSession, "expire_on_commit": False, "info": {"memo": self.memo}}
        self._wmaker = async_sessionmaker(self.writer, **made)
        self._rmaker = async_sessionmaker(self.reader, **made)
        self._qmaker = async_sessionmaker(self.autocommit, **made)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: commits on success, rolls back on any error.

        On SQLite, writers of this process queue on an asyncio lock: SQLite has one
        writer anyway, and its busy handler would otherwise make contending writers
        sleep in growing steps (hundreds of joins at once took seconds)."""
        if self._write_lock is None:
            async with self._wmaker() as s:
                async with s.begin():
                    yield s
            return
        async with self._write_lock:
            async with self._wmaker() as s:
                async with s.begin():
                    yield s
            self._unchecked = True

    async def checkpoint(self) -> bool:
        """SQLite: copy what the write-ahead log holds into the database file, if
        anything was written since the last time; in a driver thread, off every
        commit's path. PASSIVE: it waits for no reader and no writer (what a reader
        still uses is copied next time). PostgreSQL checkpoints on its own."""
        if not self._unchecked:
            return False
        self._unchecked = False
        async with self.autocommit.connect() as c:
            await c.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        return True

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One consistent read transaction (a snapshot as of one instant)."""
        async with self._rmaker() as s:
            async with s.begin():
                yield s

    @asynccontextmanager
    async def quick(self) -> AsyncIterator[AsyncSession]:
        """Reads that need no common snapshot (each statement sees its own), without a
        transaction around them: a WebSocket handshake's token check then costs its
        statements and no BEGIN and COMMIT round trips."""
        async with self._qmaker() as s:
            yield s

    async def ping(self) -> None:
        from sqlalchemy import text

        async with self.reader.connect() as c:
            await c.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.writer.dispose()
        if self.is_sqlite:
            await self.reader.dispose()
            await self.autocommit.dispose()
