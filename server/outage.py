"""When the database cannot serve (down, restarting, refusing connections, its pool
exhausted), clients are told to come back: 503 with ``Retry-After`` on REST, close
1013 on a WebSocket handshake. Everything else stays a 500: it is a bug to fix, not a
moment to wait out."""

from __future__ import annotations

import psycopg
from sqlalchemy import exc as sa_exc

RETRY_AFTER_S = 5
TRY_AGAIN_LATER = 1013  # WebSocket close code (RFC 6455 registry): try again later
DETAIL = f"the database is unavailable; try again in {RETRY_AFTER_S} seconds"

# SQLSTATE classes of a database that cannot serve now: connection exception,
# insufficient resources (too many connections, disk full), operator intervention
# (shutting down, starting up, a cancelled statement)
_OUTAGE_CLASSES = ("08", "53", "57")


def database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig
    if isinstance(exc, psycopg.OperationalError):
        # no SQLSTATE: the client lost or never got a connection
        return exc.sqlstate is None or exc.sqlstate[:2] in _OUTAGE_CLASSES
    return isinstance(exc, ConnectionError)
