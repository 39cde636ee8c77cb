"""The sockets' token cache (issue 19): a handshake finds its caller in this process's
memory, yet a token that ended is refused at once, by sockets and by REST, even when
the cache still held it or another process ended it."""

from __future__ import annotations

import uuid

import pytest

from server.app import create_app
from server.settings import Settings
from tests.support.client import Api, make_world, ws_connect
from tests.support.server import process_pair

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _reissue(server, w, key: str) -> str:
    async with Api(server.url, w.token("mod")) as mod:
        r = await mod.ok("POST", f"/api/events/{w.event['id']}/people/{w.id(key)}/token")
    return r["token"]


async def test_a_reissued_token_closes_its_sockets_and_opens_no_new_one(server):
    w = await make_world(server)
    sid = w.session["id"]
    old = w.token("p1")
    first = await ws_connect(server, sid, old)
    assert (await first.next())["type"] == "snapshot"  # the cache holds the token now
    new = await _reissue(server, w, "p1")
    assert await first.closed_with() == 4401
    again = await ws_connect(server, sid, old)
    assert await again.closed_with() == 4401
    fresh = await ws_connect(server, sid, new)
    assert (await fresh.next())["data"]["you"]["person_id"] == w.id("p1")
    await fresh.close()


async def test_rest_refuses_an_old_token_that_a_socket_had_cached(server):
    w = await make_world(server)
    old = w.token("p2")
    ws = await ws_connect(server, w.session["id"], old)
    await ws.next()
    await ws.close()
    await _reissue(server, w, "p2")
    async with Api(server.url, old) as stale:
        assert (await stale.call("GET", f"/api/events/{w.event['id']}")).status_code == 401


async def test_a_token_reissued_by_another_process_is_refused_here(tmp_path, fresh_pg, redis_url):
    """p2 never joined the session, so no event tells process A of the re-issue on B;
    A read p2's token into its cache with the rest of the event at p1's handshake."""
    a, b = process_pair(tmp_path, fresh_pg, redis_url, f"tc-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a)
        sid, old = w.session["id"], w.token("p2")
        p1 = await ws_connect(a, sid, w.token("p1"))
        await p1.next()
        new = await _reissue(b, w, "p2")
        stale = await ws_connect(a, sid, old)
        assert await stale.closed_with() == 4401
        async with Api(a.url, old) as rest:
            assert (await rest.call("GET", f"/api/events/{w.event['id']}")).status_code == 401
        ok = await ws_connect(a, sid, new)
        assert (await ok.next())["type"] == "snapshot"
        await ok.close()
        await p1.close()


async def test_a_language_changed_by_another_process_is_seen_at_the_next_handshake(
    tmp_path, fresh_pg, redis_url
):
    """The cache on A still holds p1's old language; the snapshot has the new one."""
    a, b = process_pair(tmp_path, fresh_pg, redis_url, f"tc-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a)
        sid = w.session["id"]
        p1 = await ws_connect(a, sid, w.token("p1"))
        before = (await p1.next())["data"]["you"]["listening"]
        await p1.close()
        language = "ar" if before != "ar" else "ru"
        async with Api(b.url, w.token("mod")) as mod:
            path = f"/api/events/{w.event['id']}/people/{w.id('p1')}"
            await mod.ok("PATCH", path, {"language": language})
        again = await ws_connect(a, sid, w.token("p1"))
        assert (await again.next())["data"]["you"]["listening"] == language
        await again.close()


async def test_two_apps_in_one_process_share_no_token_cache(tmp_path):
    one, two = (
        create_app(Settings(database_url=f"sqlite:///{tmp_path}/{n}.db", data_dir=str(tmp_path)))
        for n in ("one", "two")
    )
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        mine, theirs = one.state.convene.tokens, two.state.convene.tokens
        assert mine is not theirs
        mine.keep_session("s", "e")
        assert theirs.event_of("s") is None


async def test_two_apps_in_one_process_share_no_memo(tmp_path):
    """What a process keeps of the interpretation states it stored, and the webhook
    worker's wake-up, belong to its database, like the token cache to its app."""
    from server.services.interpretation_state import stored_states
    from server.services.webhooks import wake

    one, two = (
        create_app(Settings(database_url=f"sqlite:///{tmp_path}/{n}.db", data_dir=str(tmp_path)))
        for n in ("one", "two")
    )
    async with one.router.lifespan_context(one), two.router.lifespan_context(two):
        db_one, db_two = one.state.convene.db, two.state.convene.db
        async with db_one.write() as tx:
            mine = stored_states(tx)
        async with db_one.read() as tx:
            assert stored_states(tx) is mine  # one memo across the app's transactions
        async with db_two.write() as tx:
            assert stored_states(tx) is not mine
            # nor the webhook worker's wake-up (an event binds to one loop)
            assert wake(tx.info["memo"]) is wake(db_two.memo) is not wake(db_one.memo)
