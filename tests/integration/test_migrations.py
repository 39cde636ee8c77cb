"""Migrations build exactly the tables the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import server.models  # noqa: F401
from server.db import sync_url
from server.migrate import upgrade


def _diff(url: str) -> list:
    upgrade(url)
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()


def test_sqlite_schema_matches_the_models(tmp_path):
    assert _diff(f"sqlite:///{tmp_path}/m.db") == []


@pytest.mark.services
def test_postgresql_schema_matches_the_models(pg_url):
    import psycopg

    name = pg_url.rsplit("/", 1)[1] + "_migr"
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        assert _diff(pg_url.rsplit("/", 1)[0] + f"/{name}") == []
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_placements_keep_where_everyone_was_across_the_rename(tmp_path):
    """The table of placements was called ``attendance``: upgrading keeps its rows."""
    import sqlite3

    url = f"sqlite:///{tmp_path}/p.db"
    upgrade(url, "0009")
    with sqlite3.connect(tmp_path / "p.db") as c:
        c.execute(
            "INSERT INTO attendance (session_id, person_id, room_id, listening, updated_at)"
            " VALUES ('s', 'p', 'r', 'ar', '2021-08-31 12:00:00.000000')"
        )
    upgrade(url)
    with sqlite3.connect(tmp_path / "p.db") as c:
        rows = c.execute("SELECT session_id, person_id, room_id, listening FROM placements")
        assert rows.fetchall() == [("s", "p", "r", "ar")]
        tables = {n for (n,) in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "attendance" not in tables


def test_stored_moves_get_their_person_for_resumes(tmp_path):
    """Events stored before ``event_log.person_id`` existed get it on upgrade, so a
    resume from before the upgrade still finds the person's moves by the index."""
    import sqlite3

    url = f"sqlite:///{tmp_path}/e.db"
    upgrade(url, "0017_placements")
    rows = [
        (1, "room.moved", '{"person_id": "p", "from_room": null, "to_room": "r"}'),
        (2, "listening.changed", '{"person_id": "p", "language": "ar", "previous": null}'),
        (3, "presence.joined", '{"person_id": "p", "name": "P"}'),
    ]
    with sqlite3.connect(tmp_path / "e.db") as c:
        for seq, kind, data in rows:
            c.execute(
                "INSERT INTO event_log (session_id, seq, type, audience, data, at)"
                " VALUES ('s', ?, ?, '[]', ?, '2021-08-31 12:00:00.000000')",
                (seq, kind, data),
            )
    upgrade(url)
    with sqlite3.connect(tmp_path / "e.db") as c:
        got = c.execute("SELECT seq, person_id FROM event_log ORDER BY seq").fetchall()
    assert got == [(1, "p"), (2, "p"), (3, None)]


def test_listener_samples_leave_the_interpretation_state_on_upgrade(tmp_path):
    """Samples stored inside the state before 0022 become rows, in their order, and
    the state keeps none; a downgrade puts them back."""
    import json
    import sqlite3

    url = f"sqlite:///{tmp_path}/i.db"
    upgrade(url, "0021_process_heartbeats")
    samples = [
        {"at": "2021-08-31T12:00:02.410255Z", "room_id": "r", "language": "ar", "listeners": 8},
        {"at": "2021-08-31T12:00:02.910000Z", "room_id": "r", "language": "ru", "listeners": 2},
        {"at": "2021-08-31T12:00:05.000001Z", "room_id": "r", "language": "ar", "listeners": 9},
    ]
    state = {"version": 1, "samples": samples, "members": {}}
    with sqlite3.connect(tmp_path / "i.db") as c:
        c.execute("PRAGMA foreign_keys=OFF")
        c.execute(
            "INSERT INTO interpretation_states (session_id, state, listeners_sent, view)"
            " VALUES ('s', ?, '{}', '{}')",
            (json.dumps(state),),
        )
    upgrade(url)
    with sqlite3.connect(tmp_path / "i.db") as c:
        rows = c.execute(
            "SELECT room_id, language, listeners, n FROM listener_samples ORDER BY n"
        ).fetchall()
        (kept, n) = c.execute("SELECT state, samples_n FROM interpretation_states").fetchone()
    assert rows == [("r", "ar", 8, 0), ("r", "ru", 2, 1), ("r", "ar", 9, 2)]
    assert json.loads(kept) == {**state, "samples": []} and n == 3

    from alembic import command

    from server.migrate import config

    command.downgrade(config(url), "0021_process_heartbeats")
    with sqlite3.connect(tmp_path / "i.db") as c:
        (back,) = c.execute("SELECT state FROM interpretation_states").fetchone()
    assert json.loads(back)["samples"] == samples
