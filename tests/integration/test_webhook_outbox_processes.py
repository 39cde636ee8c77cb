"""The outbox's copy of an event's webhooks (``webhooks.Outbox``) across processes:
a webhook added or removed through one process is seen by the next command of the
other, which had already sent events of the session without it, on SQLite and on
PostgreSQL."""

from __future__ import annotations

import uuid

import orjson
import pytest

from tests.support.client import Api, make_world
from tests.support.receiver import Receiver, register_webhook
from tests.support.server import ServerProcess, process_pair

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _sqlite_pair(tmp_path):
    url = f"sqlite:///{tmp_path}/shared.db"
    a = ServerProcess(tmp_path / "a", {"CONVENE_DATABASE_URL": url})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    b = ServerProcess(tmp_path / "b", {"CONVENE_DATABASE_URL": url}, admin_token=a.admin_token)
    return a, b


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request, tmp_path):
    if request.param == "sqlite":
        return _sqlite_pair(tmp_path)
    fresh_pg = request.getfixturevalue("fresh_pg")
    redis_url = request.getfixturevalue("redis_url")
    return process_pair(tmp_path, fresh_pg, redis_url, f"hooks-{uuid.uuid4().hex[:8]}")


async def test_a_webhook_added_or_removed_elsewhere_counts_from_the_next_command(pair):
    a, b = pair
    rx = await Receiver().start()
    try:
        with a, b:
            w = await make_world(a)
            sid, eid = w.session["id"], w.event["id"]
            async with Api(a.url, w.token("mod")) as on_a, Api(b.url, w.token("mod")) as on_b:
                await on_a.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "before"}, 201)
                hook = await register_webhook(
                    on_b, eid, rx.url, "s3cret-for-tests", ["broadcast.message"]
                )
                await on_a.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "with"}, 201)
                got = await rx.wait_for(lambda h, body: b'"with"' in body)
                assert orjson.loads(got[0][1])["data"]["text"] == "with"
                await on_b.ok("DELETE", f"/api/events/{eid}/webhooks/{hook['id']}", None, 204)
                # a stale copy would write a delivery for the deleted webhook: 500
                await on_a.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "after"}, 201)
                await on_a.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "last"}, 201)
                texts = [orjson.loads(body)["data"]["text"] for _, body in rx.requests]
                assert texts == ["with"]
    finally:
        await rx.close()
