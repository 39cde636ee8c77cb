"""Direct reads of a test server's database (to check the log itself)."""

from __future__ import annotations

import json
import sqlite3


def log_rows(server, session_id: str) -> list[tuple[int, str, dict]]:
    url = server.env["CONVENE_DATABASE_URL"]
    q = "SELECT seq, type, data FROM event_log WHERE session_id = {p} ORDER BY seq"
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1]
        with sqlite3.connect(path) as c:
            rows = c.execute(q.format(p="?"), (session_id,)).fetchall()
        return [(s, t, json.loads(d)) for s, t, d in rows]
    import psycopg

    with psycopg.connect(url) as c:
        rows = c.execute(q.format(p="%s"), (session_id,)).fetchall()
    return [(s, t, d if isinstance(d, dict) else json.loads(d)) for s, t, d in rows]


def query(server, sql: str, *args) -> list[tuple]:
    """Run one read query on the server's database ({p} is the placeholder)."""
    url = server.env["CONVENE_DATABASE_URL"]
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1]
        with sqlite3.connect(path) as c:
            return c.execute(sql.format(p="?"), args).fetchall()
    import psycopg

    with psycopg.connect(url) as c:
        return c.execute(sql.format(p="%s"), args).fetchall()
