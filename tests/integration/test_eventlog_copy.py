"""How the log's rows reach PostgreSQL. A transaction's events from ``bulk.COPY_FROM``
on go in by COPY (a round opening's 1,200: psycopg's executemany cost 16 ms of the server's CPU,
COPY 3). What COPY stores is what the INSERT would have stored, byte for byte: the
JSON text, the instant, the person column; text that COPY's format must escape
(tabs, newlines, backslashes) included."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import (
    event,
    text,
)

import breakouts as bo
from server import bulk, features
from server.broker import MemoryBroker
from server.commands import Commands
from server.eventlog import ROW_KEYS, SESSION, EventLog, LogRecord, copy_rows, row_insert
from server.events import BroadcastMessage
from server.models import Session
from server.services import breakout_state
from tests.support.live_session import live_session

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]

ODD = ["tab\there", "line\nbreak", "back\\slash", 'quote"d', "\\N", "émigré ✓ عربى", ""]


def _batch(sid: str, n: int = bulk.COPY_FROM + 4) -> list[LogRecord]:
    at = dt.datetime(2030, 1, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    plus4 = dt.timezone(dt.timedelta(hours=4))
    out = []
    for i in range(n):
        odd = ODD[i % len(ODD)]
        out.append(
            LogRecord(
                sid,
                i + 1,
                ("room.moved", "chat.message", "listening.changed")[i % 3],
                [f"person:{odd}", "moderators"],
                None if i % 2 else odd,
                {"person_id": f"p{i}", "text": odd, "n": 2**53 + i, "x": [None, True, 1.5]},
                at if i % 2 else at.astimezone(plus4),
            )
        )
    return out


_READ = text(
    'SELECT seq, type, CAST(audience AS TEXT), "by", CAST(data AS TEXT), at, person_id '
    "FROM event_log WHERE session_id = :sid ORDER BY seq"
)


@pytest.mark.parametrize("migrated_db", ["postgresql"], indirect=True)
async def test_copy_stores_what_the_insert_stores(migrated_db):
    db = migrated_db
    copied, inserted = (await live_session(db, 0)).sid, (await live_session(db, 0)).sid
    async with db.write() as tx:
        conn = await tx.connection()
        assert bulk.pg_batch(conn.sync_connection, len(_batch(copied)))

        def store(sync_conn):
            bulk.copy_sync(sync_conn, "event_log", ROW_KEYS, copy_rows(_batch(copied)))
            sql, params = row_insert(sync_conn.dialect)
            sync_conn.exec_driver_sql(sql, params(_batch(inserted)))

        await conn.run_sync(store)
    async with db.read() as tx:
        by_copy = (await tx.exec(_READ, params={"sid": copied})).all()
        by_insert = (await tx.exec(_READ, params={"sid": inserted})).all()
    assert len(by_copy) == bulk.COPY_FROM + 4
    assert by_copy == by_insert
    assert by_copy[0][6] == "p0" and by_copy[1][6] is None  # placed types keep the person


async def test_a_commit_of_many_events_stores_them_all_in_order(migrated_db):
    """Through the event log itself: COPY on PostgreSQL, executemany on SQLite."""
    db = migrated_db
    sid = (await live_session(db, 0)).sid
    async with db.write() as tx:
        s = await tx.get(Session, sid)
        log = EventLog(tx, s, None, large_room=100)
        for rec in _batch(sid):
            log.records.append(rec)  # the log's own emit would number them the same
        log._seq = len(log.records)
        await tx.run_sync(log._store)
    async with db.read() as tx:
        rows = (await tx.exec(_READ, params={"sid": sid})).all()
    assert [r[0] for r in rows] == list(range(1, bulk.COPY_FROM + 5))
    assert (
        rows[1][4]
        == '{"person_id":"p1","text":"line\\nbreak","n":9007199254740993,"x":[null,true,1.5]}'
    )


async def test_many_moves_store_every_placement(migrated_db):
    """A round's moves are one statement over a JSON list on PostgreSQL (an
    executemany below ``bulk.COPY_FROM`` and on SQLite): each person lands in their
    room, and nobody else's placement changes."""
    db = migrated_db
    cast = await live_session(db, 30, rooms=("Plenary", "A", "B"), placed=True)
    ids = [p.id for p in cast.people]
    stay = ids[-5:]
    new = {pid: cast.rooms["A" if i % 2 else "B"] for i, pid in enumerate(ids[:-5])}
    async with db.write() as tx:
        st = await breakout_state.load(tx, await tx.get(Session, cast.sid), people=False)
        plan = bo.Placement({**st.placement, **new})
        assert await breakout_state.save_placement(tx, st, plan)
    async with db.read() as tx:
        rows = dict(
            (
                await tx.exec(
                    text("SELECT person_id, room_id FROM placements WHERE session_id = :s"),
                    params={"s": cast.sid},
                )
            ).all()
        )
    assert rows == {**{pid: cast.rooms["Plenary"] for pid in stay}, **new}


@pytest.mark.parametrize("migrated_db", ["postgresql"], indirect=True)
async def test_a_few_events_and_the_seq_are_one_statement(migrated_db):
    """A broadcast's one event and the session's new seq go to PostgreSQL in one
    statement (one round trip, not the INSERT's and then the ORM's UPDATE's), also
    when the row was flushed mid-command with an earlier seq."""
    db = migrated_db
    sid = (await live_session(db, 0)).sid
    cmds = Commands(db, MemoryBroker(), features.wire(features.INSTALLED))
    sql: list[str] = []

    def seen(conn, cursor, statement, *args):
        sql.append(" ".join(statement.split()))

    async def work(tx, s, log):
        log.emit(BroadcastMessage(text="first"), [SESSION])
        await tx.flush()  # as an autoflush before a query would: seq 1 reaches the row
        log.emit(BroadcastMessage(text="second"), [SESSION])

    event.listen(db.writer.sync_engine, "before_cursor_execute", seen)
    try:
        await cmds.run(sid, work, by=None)
    finally:
        event.remove(db.writer.sync_engine, "before_cursor_execute", seen)
    writes = [q for q in sql if q.startswith(("INSERT", "UPDATE", "WITH"))]
    assert len(writes) == 2, writes  # the mid-command flush, then rows and seq together
    assert writes[1].startswith("WITH stored AS (INSERT INTO event_log")
    assert "UPDATE sessions SET seq" in writes[1]
    async with db.read() as tx:
        assert (await tx.get(Session, sid)).seq == 2
        rows = (await tx.exec(_READ, params={"sid": sid})).all()
    assert [(r[0], r[4]) for r in rows] == [
        (1, '{"text":"first","translations":{},"language":null}'),
        (2, '{"text":"second","translations":{},"language":null}'),
    ]
