"""The handshakes' token re-check reads in batches: handshakes that ask together share
one statement, each gets its own person's row as it is now (None once removed)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, update

from server.db import Database
from server.gateway.recheck import Recheck
from server.migrate import upgrade
from server.models import Event, Person

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]


@pytest.fixture
async def db(tmp_path):
    url = f"sqlite:///{tmp_path}/recheck.db"
    upgrade(url)
    database = Database(url)
    yield database
    await database.close()


async def _people(db: Database, n: int) -> list[str]:
    ev = Event(title="Kick-off", timezone="Europe/Berlin", floor_language="en")
    async with db.write() as tx:
        tx.add(ev)
        await tx.flush()
        people = [
            Person(event_id=ev.id, name=f"p{i}", role="participant", token_hash=f"h{i}")
            for i in range(n)
        ]
        tx.add_all(people)
        await tx.flush()
        return [p.id for p in people]


async def test_a_storm_of_rechecks_shares_statements_and_each_sees_its_own_row(db):
    ids = await _people(db, 60)
    check = Recheck(db)
    rows = await asyncio.gather(*(check.person("s", pid) for pid in ids))
    assert [r.id for r in rows] == ids
    assert [r.token_hash for r in rows] == [f"h{i}" for i in range(60)]
    assert check.reads < 60 / 2  # a lone first one, then the rest together


async def test_the_row_is_read_after_the_ask(db):
    """What changed before a handshake asked is what it sees: a re-issue, a removal."""
    ids = await _people(db, 2)
    check = Recheck(db)
    assert (await check.person("s", ids[0])).token_hash == "h0"
    async with db.write() as tx:
        await tx.exec(update(Person).where(Person.id == ids[0]).values(token_hash="new"))
        await tx.exec(delete(Person).where(Person.id == ids[1]))
    again, gone = await asyncio.gather(check.person("s", ids[0]), check.person("s", ids[1]))
    assert again.token_hash == "new"
    assert gone is None
