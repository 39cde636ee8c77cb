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
