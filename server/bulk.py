"""Many rows through one Core statement, without SQLAlchemy's per-row parameter work.

``execute(stmt, rows)`` builds every row's parameters through the compiled statement:
about 30 us a row on SQLite, against 6 for the driver's own ``executemany`` of the
same rows (a round opening writes 1,000 placements, 1,000 tallies and 1,200 events).
Here the statement is compiled once per dialect and set of keys, exactly as
SQLAlchemy compiles it for those rows, and each row goes through the same type
processors SQLAlchemy applies, then to ``exec_driver_sql``. A statement with a
parameter no row names (a bound literal, an expanding ``IN``) takes the usual path.

Only for Core statements on tables: like them, this does not autoflush the ORM."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.util import await_only
from sqlmodel.ext.asyncio.session import AsyncSession

Make = Callable[[dict], Any]
_PREPARED: dict[tuple, tuple[Any, Dialect, str, Make] | None] = {}


def prepared(stmt, dialect: Dialect, keys: tuple[str, ...]) -> tuple[str, Make] | None:
    """The SQL text and the row-to-driver-parameters function of ``stmt`` for rows
    with ``keys``, or None when the fast path does not apply."""
    key = (id(stmt), id(dialect), keys)
    hit = _PREPARED.get(key, False)
    if hit is False:
        hit = _PREPARED[key] = _prepare(stmt, dialect, keys)
    if hit is None:
        return None
    return hit[2], hit[3]


def _prepare(stmt, dialect: Dialect, keys: tuple[str, ...]):
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
    if not set(names) <= set(keys) or len(set(names)) != len(names):
        return None
    procs = compiled._bind_processors
    pairs = [(n, procs.get(n)) for n in names]
    if compiled.positional:

        def make(row: dict) -> tuple:
            return tuple(row[n] if p is None else p(row[n]) for n, p in pairs)

    else:
        escaped = compiled.escaped_bind_names or {}
        out = [(escaped.get(n, n), n, p) for n, p in pairs]

        def make(row: dict) -> dict:
            return {e: row[n] if p is None else p(row[n]) for e, n, p in out}

    # the statement and dialect are held so that their ids stay theirs
    return stmt, dialect, compiled.string, make


async def executemany(tx: AsyncSession, stmt, rows: Sequence[dict]) -> None:
    """``stmt`` once for each of ``rows`` (all with the same keys) in ``tx``."""
    if not rows:
        return
    conn = await tx.connection()
    prep = prepared(stmt, conn.dialect, tuple(rows[0]))
    if prep is None:
        await tx.execute(stmt, list(rows))
        return
    sql, make = prep
    made = [make(r) for r in rows]
    if pg_batch(conn.sync_connection, len(made)) and _plain_insert(stmt, made[0]):
        raw = await conn.get_raw_connection()
        await _copy(
            raw.driver_connection,
            _copy_sql(conn.dialect, stmt.table.name, made[0]),
            [tuple(m.values()) for m in made],
        )
        return
    await conn.exec_driver_sql(sql, made)


def _plain_insert(stmt, made: dict) -> bool:
    """Whether ``stmt`` is an INSERT that COPY can stand in for: into a table, without
    ON CONFLICT, RETURNING or values of its own, its parameters named as its columns."""
    if not isinstance(stmt, Insert) or stmt._post_values_clause is not None:
        return False
    if stmt._returning or stmt._values or stmt._multi_values:
        return False
    table = getattr(stmt, "table", None)
    return isinstance(table, Table) and all(k in table.c and table.c[k].name == k for k in made)


def _copy_sql(dialect: Dialect, table: str, made: dict) -> str:
    quote = dialect.identifier_preparer.quote
    return f"COPY {quote(table)} ({', '.join(quote(c) for c in made)}) FROM STDIN"


def executemany_sync(conn: Connection, stmt, rows: Sequence[dict]) -> None:
    """``executemany`` on a synchronous connection (a flush or commit hook)."""
    if not rows:
        return
    prep = prepared(stmt, conn.dialect, tuple(rows[0]))
    if prep is None:
        conn.execute(stmt, list(rows))
        return
    sql, make = prep
    conn.exec_driver_sql(sql, [make(r) for r in rows])


# From this many rows on, PostgreSQL takes them through COPY (``copy_sync``, and
# ``executemany`` of a plain INSERT: a connect storm's leases, new tallies): psycopg's
# executemany costs ~13 us of client CPU a row (a Bind and an Execute each), COPY ~2.5
# (a round opening's 1,200 log rows: 16 ms -> 3 ms of the server's CPU, 16 -> 5.5 wall).
COPY_FROM = 16


def pg_batch(conn: Connection, n: int) -> bool:
    """Whether ``n`` rows take PostgreSQL's one-statement paths on ``conn`` (COPY, or a
    statement over a JSON list of them) instead of an executemany."""
    return n >= COPY_FROM and conn.dialect.name == "postgresql"


def copy_sync(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """``rows`` into ``table`` by PostgreSQL's COPY, in ``conn``'s transaction, from the
    synchronous code of an async session (a flush or commit hook: SQLAlchemy runs it
    in a greenlet, where ``await_only`` waits for the driver). Values as the text
    format takes them: JSON already serialized to ``str``, instants aware."""
    sql = _copy_sql(conn.dialect, table, dict.fromkeys(columns))
    await_only(_copy(conn.connection.driver_connection, sql, rows))


async def _copy(driver, sql: str, rows: Sequence[tuple]) -> None:
    async with driver.cursor() as cur:
        async with cur.copy(sql) as copy:
            for row in rows:
                await copy.write_row(row)
