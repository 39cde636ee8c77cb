"""Fixtures: real services (PostgreSQL, Redis) per test run, real server processes.

Tests that need PostgreSQL or Redis skip with a reason when they are absent, unless
``CONVENE_REQUIRE_SERVICES=1`` (CI), where absence fails."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.support.server import ServerProcess
from tests.support.services import pg_admin_url, pg_reachable, redis_reachable

REQUIRE = os.environ.get("CONVENE_REQUIRE_SERVICES") == "1"
# every event the domain generates is checked against its schema in the suite (the
# apps built here and the servers started from here inherit it); production trusts it
os.environ.setdefault("CONVENE_VALIDATE_EVENTS", "1")
RUN_ID = uuid.uuid4().hex[:10]


def _absent(what: str) -> None:
    msg = f"{what} is not reachable; start it or unset CONVENE_REQUIRE_SERVICES"
    if REQUIRE:
        pytest.fail(f"CONVENE_REQUIRE_SERVICES=1 but {msg}")
    pytest.skip(f"{what} is not reachable on 127.0.0.1 (set CONVENE_REQUIRE_SERVICES=1 to fail)")


@pytest.fixture(scope="session")
def pg_url():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    if not pg_reachable():
        _absent("PostgreSQL (127.0.0.1:5432)")
    import psycopg

    name = f"convene_test_{RUN_ID}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_pg(pg_url):
    """A database of its own for one test (several processes start from nothing)."""
    import psycopg

    name = f"convene_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    yield pg_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    if not redis_reachable():
        _absent("Redis (127.0.0.1:6379)")
    return "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_prefix(redis_url):
    """This run's key and channel prefix; its keys are deleted at the end."""
    prefix = f"convene-test-{RUN_ID}"
    yield prefix
    import redis

    r = redis.Redis.from_url(redis_url)
    for key in r.scan_iter(f"{prefix}:*"):
        r.delete(key)
    r.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One service on SQLite with the in-process broker."""
    d = tmp_path_factory.mktemp("sqlite-server")
    env = {
        "CONVENE_DATABASE_URL": f"sqlite:///{d}/convene.db",
        "CONVENE_ALLOWED_ORIGINS": "https://app.convene.example",
        "CONVENE_JANUS_URL": "http://127.0.0.1:9/janus",  # tickets only; nothing joins
        "CONVENE_MEDIA_SECRET": "test-media-secret",
    }
    with ServerProcess(d, env) as srv:
        yield srv


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory, pg_url, redis_url, redis_prefix):
    """One service on PostgreSQL with the Redis broker."""
    d = tmp_path_factory.mktemp("pg-server")
    env = {
        "CONVENE_DATABASE_URL": pg_url,
        "CONVENE_REDIS_URL": redis_url,
        "CONVENE_REDIS_PREFIX": redis_prefix,
        "CONVENE_JANUS_URL": "http://127.0.0.1:9/janus",
        "CONVENE_MEDIA_SECRET": "test-media-secret",
    }
    with ServerProcess(d, env) as srv:
        yield srv


@pytest.fixture(params=["sqlite", "postgresql"], scope="session")
def any_server(request):
    """The storage-sensitive tests run on both backends."""
    return request.getfixturevalue("server" if request.param == "sqlite" else "pg_server")


@pytest.fixture(params=["sqlite", "postgresql"])
async def migrated_db(request, tmp_path):
    """An in-process ``Database`` migrated to the newest revision, on SQLite and on a
    PostgreSQL database of its own."""
    from server.db import Database
    from server.migrate import upgrade

    url = (
        f"sqlite:///{tmp_path}/convene.db"
        if request.param == "sqlite"
        else request.getfixturevalue("fresh_pg")
    )
    upgrade(url)
    database = Database(url)
    yield database
    await database.close()
