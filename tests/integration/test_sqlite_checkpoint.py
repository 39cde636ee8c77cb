"""SQLite copies its write-ahead log into the database file (a checkpoint) off the
commit path. Its own automatic checkpoint runs inside whichever commit grows the log
past 1,000 pages: a round opening of 1,000 people writes about that many (each
``room.moved`` lands on its person's page of the log's person index), so nearly every
opening of a long session paid a 6-16 ms checkpoint before its commit returned and
its clients were sent anything. Now the commit returns at once and the app
checkpoints in the background, about once a second after something was written."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from server.db import Database
from tests.support.client import Api, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROWS_6MB = """
INSERT INTO ballast (x)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
SELECT randomblob(4000) FROM n
"""


async def test_a_large_commit_returns_before_its_checkpoint(tmp_path):
    path = tmp_path / "c.db"
    db = Database(f"sqlite:///{path}")
    try:
        async with db.write() as tx:
            await tx.exec(text("CREATE TABLE ballast (x BLOB)"))
        assert await db.checkpoint()  # the table is in the database file
        before = os.path.getsize(path)
        async with db.write() as tx:  # ~1,500 pages of log, past SQLite's 1,000
            await tx.exec(text(ROWS_6MB))
        # the commit left its pages in the log: the database file has not grown
        assert os.path.getsize(path) == before
        async with db.read() as tx:  # and every reader sees them
            assert (await tx.exec(text("SELECT count(*) FROM ballast"))).scalar() == 1500
        assert await db.checkpoint()
        assert os.path.getsize(path) > before + 5_000_000
        assert not await db.checkpoint()  # nothing written since: nothing to do
    finally:
        await db.close()


async def test_the_server_checkpoints_what_it_wrote(server):
    """A small write, far below SQLite's 1,000 pages, still reaches the database file
    within about a second: the log does not pile up between openings."""
    path = server.workdir / "convene.db"
    stamp = os.stat(path).st_mtime_ns
    async with Api(server.url, server.admin_token) as admin:
        await admin.ok("POST", "/api/events", {"title": "Checkpointed"}, 201)

    async def mtime():
        return os.stat(path).st_mtime_ns

    assert await eventually(mtime, lambda m: m != stamp, timeout=5) != stamp
