"""SQLite statements through ``server.sqlite_driver``: one trip to aiosqlite's thread
per statement (SQLAlchemy's own adapter makes four), the same rows, counts and errors
as before, and transactions that still commit and roll back."""

from __future__ import annotations

import collections

import aiosqlite.core
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from server.db import Database

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def db(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/driver.db")
    async with db.write() as tx:
        await tx.exec(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield db
    await db.close()


@pytest.fixture
def trips(monkeypatch):
    """Calls run in aiosqlite's thread, by function name."""
    seen: collections.Counter[str] = collections.Counter()
    original = aiosqlite.core.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        seen[getattr(fn, "__name__", repr(fn))] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return seen


async def test_a_statement_is_one_trip_to_the_driver_thread(db, trips):
    async with db.autocommit.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the pool's first connection: set-up trips
    trips.clear()
    async with db.autocommit.connect() as conn:
        rows = (await conn.execute(text("SELECT 1 UNION ALL SELECT 2"))).all()
    assert [r[0] for r in rows] == [1, 2]
    # one trip for the statement; no rollback when the autocommit connection is closed
    # and goes back to the pool (it never holds a transaction)
    assert sum(trips.values()) == 1, trips


async def test_a_write_transaction_is_its_statements_and_the_commit(db, trips):
    async with db.write() as tx:
        await tx.exec(text("INSERT INTO t (name) VALUES ('w')"))
    trips.clear()
    async with db.write() as tx:
        await tx.exec(text("INSERT INTO t (name) VALUES ('v')"))
    # BEGIN IMMEDIATE, the insert, the commit; no rollback once committed
    assert sum(trips.values()) == 3, trips


async def test_rows_counts_and_returning_are_the_drivers(db):
    async with db.write() as tx:
        many = await tx.exec(
            text("INSERT INTO t (name) VALUES (:name)"), params=[{"name": "a"}, {"name": "b"}]
        )
        assert many.rowcount == 2
        back = (await tx.exec(text("INSERT INTO t (name) VALUES ('c') RETURNING id, name"))).all()
        assert [tuple(r) for r in back] == [(3, "c")]
        changed = await tx.exec(text("UPDATE t SET name = name || '!' WHERE id < 3"))
        assert changed.rowcount == 2
    async with db.read() as tx:
        rows = (await tx.exec(text("SELECT id, name FROM t ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [(1, "a!"), (2, "b!"), (3, "c")]


async def test_an_error_rolls_the_transaction_back_and_the_connection_goes_on(db):
    with pytest.raises(IntegrityError):
        async with db.write() as tx:
            await tx.exec(text("INSERT INTO t (name) VALUES ('x')"))
            await tx.exec(text("INSERT INTO t (name) VALUES ('x')"))
    with pytest.raises(RuntimeError):
        async with db.write() as tx:
            await tx.exec(text("INSERT INTO t (name) VALUES ('y')"))
            raise RuntimeError("the command failed")
    async with db.write() as tx:  # the write lock was given back
        await tx.exec(text("INSERT INTO t (name) VALUES ('z')"))
    async with db.quick() as q:
        names = (await q.exec(text("SELECT name FROM t ORDER BY id"))).all()
    assert [r[0] for r in names] == ["z"]
