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
