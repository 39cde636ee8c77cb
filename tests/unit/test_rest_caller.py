"""The REST caller's person (``auth.rest_caller``), read with one Core statement, is a
``Person`` like one a session loaded and closed: every column, the pydantic view of
it, and a session that takes it in again sees it as stored. And it is cheap: the
model's ``__init__`` (validation, defaults) cost more than the statement (issue 19)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import inspect

from server.auth import hash_token, rest_caller
from server.db import Database
from server.migrate import upgrade
from server.models import Event, Person


@pytest.mark.asyncio(loop_scope="session")
async def test_the_callers_person_is_a_detached_person_with_every_column(tmp_path):
    url = f"sqlite:///{tmp_path}/caller.db"
    upgrade(url)
    db = Database(url)
    try:
        async with db.write() as tx:
            ev = Event(title="E", timezone="UTC", floor_language="en")
            tx.add(ev)
            await tx.flush()
            stored = Person(
                event_id=ev.id,
                name="Nino",
                role="moderator",
                token_hash=hash_token("t0k"),
                groups=["a"],
                interprets=["ka"],
                language="ka",
            )
            tx.add(stored)
        caller = await rest_caller(db.autocommit, "t0k", "admin")
        p = caller.person
        assert isinstance(p, Person) and caller.role == "moderator"
        assert inspect(p).detached and inspect(p).key[1] == (stored.id,)
        assert p.model_dump() == stored.model_dump()
        async with db.write() as tx:
            merged = await tx.merge(p)
            assert merged.groups == ["a"] and merged.name == "Nino"
            merged.name = "Nino B."
        async with db.read() as tx:
            assert (await tx.get(Person, stored.id)).name == "Nino B."
    finally:
        await db.close()


FIRST_REQUEST = """
import asyncio, sys
from server.auth import rest_caller
from server.db import Database
async def main():
    d = Database(sys.argv[1])
    print((await rest_caller(d.autocommit, sys.argv[2], "admin")).role)
    await d.close()
asyncio.run(main())
"""


@pytest.mark.asyncio(loop_scope="session")
async def test_a_fresh_processs_first_request_finds_its_caller(tmp_path):
    """No ORM object exists yet in a process whose first request is a REST call (the
    second process of a pair): the caller is still made."""
    url = f"sqlite:///{tmp_path}/first.db"
    upgrade(url)
    db = Database(url)
    try:
        async with db.write() as tx:
            ev = Event(title="E", timezone="UTC", floor_language="en")
            tx.add(ev)
            await tx.flush()
            tx.add(Person(event_id=ev.id, name="N", role="observer", token_hash=hash_token("t")))
    finally:
        await db.close()
    out = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST, url, "t"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "observer"
