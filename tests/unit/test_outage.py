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


async def test_outage_is_503_and_other_database_errors_stay_500():
    import httpx
    from fastapi import FastAPI

    from server import errors

    app = FastAPI()
    errors.install(app)

    @app.get("/down")
    async def down():
        raise wrapped(sa.OperationalError, pg.AdminShutdown("terminating connection"))

    @app.get("/bug")
    async def bug():
        raise wrapped(sa.IntegrityError, pg.UniqueViolation("duplicate key"))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://convene") as client:
        down, bug = await client.get("/down"), await client.get("/bug")
    assert (down.status_code, down.headers["retry-after"]) == (503, "5")
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["type"] == "https://convene.dev/problems/service-unavailable"
    assert down.json()["retry_after"] == 5
    assert bug.status_code == 500 and "retry-after" not in bug.headers
    assert bug.json()["type"] == "https://convene.dev/problems/internal-server-error"
