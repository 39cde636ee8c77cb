"""Which database errors mean "come back later" (503, close 1013) and which are bugs
(500): the exceptions are the drivers' own classes."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy import exc as sa

from server.outage import database_unavailable


def wrapped(cls: type[BaseException], orig: BaseException, invalidated: bool = False):
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "exc,unavailable",
    [
        (wrapped(sa.OperationalError, psycopg.OperationalError("connection failed")), True),
        (wrapped(sa.OperationalError, pg.AdminShutdown("terminating connection")), True),
        (wrapped(sa.OperationalError, pg.CannotConnectNow("starting up")), True),
        (wrapped(sa.OperationalError, pg.TooManyConnections("too many clients")), True),
        (wrapped(sa.InterfaceError, psycopg.InterfaceError("closed"), invalidated=True), True),
        (sa.TimeoutError("QueuePool limit reached"), True),
        (wrapped(sa.OperationalError, pg.SerializationFailure("could not serialize")), False),
        (wrapped(sa.OperationalError, pg.DeadlockDetected("deadlock")), False),
        (wrapped(sa.IntegrityError, pg.UniqueViolation("duplicate key")), False),
        (wrapped(sa.ProgrammingError, pg.UndefinedTable("no such table")), False),
        (sa.InvalidRequestError("bad use of the ORM"), False),
        (ValueError("not a database error"), False),
    ],
    ids=lambda v: type(getattr(v, "orig", v)).__name__ if not isinstance(v, bool) else str(v),
)
def test_database_unavailable(exc, unavailable):
    assert database_unavailable(exc) is unavailable
