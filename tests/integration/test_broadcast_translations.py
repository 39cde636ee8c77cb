"""A broadcast's translations must be in the event's languages: otherwise 422 naming
them, and nothing is stored."""

from __future__ import annotations

import pytest

from tests.support.client import Api, make_world
from tests.support.db import log_rows

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_translations_in_other_languages_are_422_and_store_nothing(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as mod:
        before = log_rows(server, sid)
        r = await mod.call(
            "POST",
            f"/api/sessions/{sid}/broadcast",
            {"text": "Hi", "translations": {"fr": "Salut"}},
        )
        assert r.status_code == 422, r.text
        assert "translations for fr" in r.json()["detail"]
        assert log_rows(server, sid) == before
        ok = await mod.ok(
            "POST", f"/api/sessions/{sid}/broadcast", {"text": "Hi", "translations": {}}, 201
        )
        assert ok["translations"] == {}
