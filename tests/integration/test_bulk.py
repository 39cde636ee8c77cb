"""``bulk.executemany`` stores exactly what SQLAlchemy's own executemany stores, on
both backends, with the app's engines (its JSON codec, ``UTCDateTime``); on
PostgreSQL a plain INSERT of ``bulk.COPY_FROM`` rows or more goes in by COPY."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
    select,
    update,
)

from server import bulk
from server.db import Database, UTCDateTime

META = MetaData()


def _table(name: str) -> Table:
    return Table(
        name,
        META,
        Column("k", String(36), primary_key=True),
        Column("on", Boolean, nullable=False),
        Column("room", String(36), nullable=True),
        Column("at", UTCDateTime(), nullable=True),
        Column("secs", Float, nullable=False),
        Column("rooms", JSON, nullable=False),
        Column("n", Integer, nullable=False),
    )


FAST, SLOW = _table("bulk_fast"), _table("bulk_slow")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ROWS = [
    {
        "k": f"p{i}",
        "on": i % 2 == 0,
        "room": None if i % 3 == 0 else f"r{i}",
        "at": None if i == 5 else dt.datetime(2030, 10, 27, 2, 30, i, i * 7, tzinfo=BERLIN),
        "secs": i / 3,
        "rooms": {"": 1.5, f"r{i}": [i, None, "x\u00e9"]},
        "n": i,
    }
    for i in range(bulk.COPY_FROM + 4)
]


def _moved(table: Table):
    return (
        update(table)
        .where(table.c.k == bindparam("b_k"))
        .values(room=bindparam("b_room"), at=bindparam("b_at"), rooms=bindparam("b_rooms"))
    )


MOVES = [
    {"b_k": f"p{i}", "b_room": "x", "b_at": dt.datetime(2031, 1, 1, tzinfo=dt.UTC), "b_rooms": {}}
    for i in range(0, 7, 2)
]


def db_is_pg(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/bulk.db"
    return request.getfixturevalue("fresh_pg")


async def test_bulk_stores_what_sqlalchemy_stores(url: str) -> None:
    db = Database(url)
    try:
        async with db.writer.begin() as c:
            await c.run_sync(META.create_all)
        sql: list[str] = []

        def seen(conn, cursor, statement, *args):
            sql.append(statement)

        async with db.write() as tx:
            core = await tx.connection()  # SQLAlchemy's own executemany
            event.listen(db.writer.sync_engine, "before_cursor_execute", seen)
            try:
                await bulk.executemany(tx, insert(FAST), ROWS)
            finally:
                event.remove(db.writer.sync_engine, "before_cursor_execute", seen)
            await core.execute(insert(SLOW), ROWS)
            await bulk.executemany(tx, _moved(FAST), MOVES)
            await core.execute(_moved(SLOW), MOVES)
        async with db.read() as tx:
            fast = (await tx.exec(select(FAST).order_by(FAST.c.k))).all()
            slow = (await tx.exec(select(SLOW).order_by(SLOW.c.k))).all()
    finally:
        await db.close()
    assert len(fast) == len(ROWS) and fast == slow
    # PostgreSQL: COPY, no INSERT statement; SQLite: one executemany
    assert len([q for q in sql if q.startswith("INSERT")]) == (0 if db_is_pg(url) else 1)
    by_k = {r.k: r for r in fast}
    assert by_k["p0"].room == "x" and by_k["p1"].room == "r1" and by_k["p5"].at is None
