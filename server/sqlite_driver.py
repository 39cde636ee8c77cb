"""SQLite through aiosqlite with one trip to the driver's thread per statement.

SQLAlchemy's aiosqlite adapter makes four (create a cursor, execute, fetch the rows,
close the cursor), each a hand-off to aiosqlite's thread and a wake-up of the event
loop: a broadcast's six statements made 24, a good part of its CPU. Here the cursor
is made, executed, read to the end and closed in that thread in one call; the adapter
read every row at once before as well, so memory and results are the same. Nothing
runs on the event loop's thread: a statement waiting for another process's write lock
(the CLI, a second server) still waits in the driver's thread.

Built on the adapter's internal classes: SQLAlchemy and aiosqlite are pinned
(pyproject.toml), and tests/unit/test_sqlite_driver.py checks the trips and results."""

from __future__ import annotations

import collections
import sqlite3

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


def _run(connection: aiosqlite.Connection, operation, parameters, many: bool):
    """In aiosqlite's thread: (description, rowcount, lastrowid, rows or None)."""
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneCallCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement is one call in the driver's thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")
    server_side = False

    def __init__(self, adapt_connection):
        # no driver cursor is made here (the adapter's own costs a trip): ``_run`` makes
        # one per statement
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None
        self._arraysize = 1

    @property
    def description(self):
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self):
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # the driver's cursor is closed already; the rows stay buffered

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation, parameters):
        await self._call(operation, parameters, False)

    async def _executemany_async(self, operation, seq_of_parameters):
        await self._call(operation, seq_of_parameters, True)

    async def _call(self, operation, parameters, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            described, self._rowcount, self._lastrowid, rows = await self._connection._execute(
                _run, self._connection, operation, parameters, many
            )
            self._description = described
            if rows is not None:
                self._rows = collections.deque(rows)


class OneCallConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneCallCursor

    def rollback(self) -> None:
        """Only inside a transaction, the test sqlite3's own ``rollback()`` makes first,
        made here before the trip: SQLAlchemy rolls back when a connection is closed
        and again when it goes back to the pool, mostly after a commit."""
        try:
            idle = not self._connection.in_transaction
        except ValueError:  # closed: the driver's rollback says so as before
            idle = False
        if not idle:
            super().rollback()


class OneCallDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The ``module`` given to ``create_async_engine`` for SQLite."""

    def connect(self, *arg, **kw) -> OneCallConnection:
        adapted = super().connect(*arg, **kw)
        return OneCallConnection(self, adapted._connection)


def dbapi() -> OneCallDBAPI:
    return OneCallDBAPI(aiosqlite, sqlite3)
