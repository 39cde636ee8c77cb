"""Is PostgreSQL / Redis there? (Real services only; nothing is mocked.)"""

from __future__ import annotations

import socket


def _open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def pg_admin_url() -> str:
    return "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_reachable() -> bool:
    if not _open(5432):
        return False
    try:
        import psycopg

        with psycopg.connect(pg_admin_url(), connect_timeout=2) as c:
            c.execute("SELECT 1")
        return True
    except Exception:
        return False


def redis_reachable() -> bool:
    if not _open(6379):
        return False
    try:
        import redis

        r = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
        ok = r.ping()
        r.close()
        return bool(ok)
    except Exception:
        return False
