"""A failing statement never carries its bound values into the error (and so into
the traceback a 500 logs): they can be webhook secrets or people's e-mail addresses."""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.db import Database

SECRET = "whsec_never-in-a-log-line"


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path}/hidden.db"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    database = Database(url)
    yield database
    await database.close()


@pytest.mark.parametrize("kind", ["write", "read", "quick"])
async def test_failing_statements_hide_their_parameters(db, kind):
    statement = text("SELECT * FROM no_such_table WHERE secret = :s").bindparams(s=SECRET)
    with pytest.raises(DBAPIError) as info:
        async with getattr(db, kind)() as tx:
            await tx.exec(statement)
    logged = "".join(traceback.format_exception(info.value))
    assert "no_such_table" in logged  # the statement is there, to debug with
    assert SECRET not in logged
