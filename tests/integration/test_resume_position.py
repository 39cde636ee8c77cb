"""Where a resumed client stands (issue 19, the resume storm): a client resuming from
K is placed in the room and channel its person had at K, and the replayed events
take it to now; so it gets exactly the frames a client connected all along got
after K. With K inside the feed's memory and K older than it (a server keeping no
window: everything from the log), on SQLite and on PostgreSQL with Redis; and when
every socket of a session dropped at once and all come back together."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.support.client import WS, Api, join, make_world, ws_connect
from tests.support.server import ServerProcess
from tests.support.services import pg_admin_url

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def log_only_sqlite(tmp_path_factory):
    """A server that keeps no recent events: every resume reads the log."""
    d = tmp_path_factory.mktemp("resume-log-sqlite")
    env = {"CONVENE_DATABASE_URL": f"sqlite:///{d}/convene.db", "CONVENE_FEED_RECENT_BYTES": "0"}
    with ServerProcess(d, env) as srv:
        yield srv


@pytest.fixture(scope="module")
def log_only_pg(tmp_path_factory, pg_url, redis_url, redis_prefix):
    import psycopg

    name = f"convene_resume_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    d = tmp_path_factory.mktemp("resume-log-pg")
    env = {
        "CONVENE_DATABASE_URL": pg_url.rsplit("/", 1)[0] + f"/{name}",
        "CONVENE_REDIS_URL": redis_url,
        "CONVENE_REDIS_PREFIX": f"{redis_prefix}-resume",
        "CONVENE_FEED_RECENT_BYTES": "0",
    }
    try:
        with ServerProcess(d, env) as srv:
            yield srv
    finally:
        with psycopg.connect(pg_admin_url(), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    params=[
        ("sqlite", "memory"),
        ("postgresql", "memory"),
        ("sqlite", "log"),
        ("postgresql", "log"),
    ],
    ids=lambda p: "-".join(p),
)
def resuming(request):
    backend, window = request.param
    if window == "memory":
        return request.getfixturevalue("server" if backend == "sqlite" else "pg_server")
    return request.getfixturevalue("log_only_sqlite" if backend == "sqlite" else "log_only_pg")


def _after(ws: WS, k: int, upto: int) -> list[tuple]:
    """The events ``ws`` got in (k, upto], as (seq, type, data)."""
    return [(f["seq"], f["type"], f["data"]) for f in ws.frames if k < f.get("seq", -1) <= upto]


def _texts(ws: WS, kind: str) -> list[str]:
    return [f["data"]["text"] for f in ws.frames if f.get("type") == kind]


def _is_text(text: str):
    return lambda f: f.get("data", {}).get("text") == text


async def _resume(server, w, key: str, k: int, last: str) -> WS:
    back = await ws_connect(server, w.session["id"], w.token(key), resume_from=k)
    await back.until(_is_text(last), 10)
    assert all(f["type"] != "snapshot" for f in back.frames)
    return back


async def test_a_resume_starts_where_the_person_was_at_k_and_follows_their_moves(resuming):
    server = resuming
    w = await make_world(server)
    sid = w.session["id"]
    ws = await join(server, w, "mod", "p1", "p2", "p3")  # p1 stays on another device
    k = ws["p1"].frames[0]["seq"]  # p1: in the plenary, hearing the floor
    say = {key: Api(server.url, w.token(key)) for key in ("mod", "p1", "p2", "p3")}
    msgs = f"/api/sessions/{sid}/messages"
    try:
        ar = {"text": "b0", "translations": {"ar": "b0 in Arabic"}}
        await say["mod"].ok("POST", f"/api/sessions/{sid}/broadcast", ar, 201)
        await say["p3"].ok("POST", msgs, {"text": "plenary, p1 here", "to": "room"}, 201)
        await say["p1"].ok("PUT", f"/api/sessions/{sid}/listening", {"language": "ar"})
        ar = {"text": "b1", "translations": {"ar": "b1 in Arabic"}}
        await say["mod"].ok("POST", f"/api/sessions/{sid}/broadcast", ar, 201)
        rnd = await say["mod"].ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {"rooms": [{"name": "Housing"}, {"name": "Climate"}], "strategy": "manual"}
            | {"countdown_s": 0},
            201,
        )
        housing = rnd["rooms"][0]["id"]
        base = f"/api/sessions/{sid}/breakouts/{rnd['id']}"
        plan = {"assignments": {w.id("p1"): housing, w.id("p2"): housing}}
        await say["mod"].ok("PUT", f"{base}/plan", plan)
        await say["mod"].ok("POST", f"{base}/open")
        await ws["p2"].until(lambda f: f["type"] == "breakout.opened")
        await say["p3"].ok("POST", msgs, {"text": "plenary, p1 gone", "to": "room"}, 201)
        await say["p2"].ok("POST", msgs, {"text": "housing", "to": "room"}, 201)
        await say["mod"].ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "end1"}, 201)
        end1 = (await ws["p1"].until(_is_text("end1")))["seq"]

        back = await _resume(server, w, "p1", k, "end1")
        # as of K: the plenary and the floor; then Arabic, then Housing
        assert _texts(back, "chat.message") == ["plenary, p1 here", "housing"]
        heard = [
            (f["data"]["text"], f["data"]["language"])
            for f in back.frames
            if f["type"] == "broadcast.message"
        ]
        assert heard == [("b0", None), ("b1 in Arabic", "ar"), ("end1", None)]
        opened = next(f for f in back.frames if f["type"] == "breakout.opened")
        assert list(opened["data"]["room_members"]) == [housing]
        assert _after(back, k, end1) == _after(ws["p1"], k, end1)  # as if never away
        await back.close()

        # from inside the round: Housing as of K, the close brings p1 home
        await say["p2"].ok("POST", msgs, {"text": "housing again", "to": "room"}, 201)
        await say["p3"].ok("POST", msgs, {"text": "plenary, p1 still gone", "to": "room"}, 201)
        await say["mod"].ok("POST", f"{base}/close")
        await ws["p1"].until(lambda f: f["type"] == "breakout.closed")
        await say["p3"].ok("POST", msgs, {"text": "plenary, p1 back", "to": "room"}, 201)
        await say["mod"].ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "end2"}, 201)
        end2 = (await ws["p1"].until(_is_text("end2")))["seq"]
        back = await _resume(server, w, "p1", end1, "end2")
        assert _texts(back, "chat.message") == ["housing again", "plenary, p1 back"]
        moved = [f["data"]["to_room"] for f in back.frames if f["type"] == "room.moved"]
        assert moved == [w.session["plenary_room_id"]]
        assert _after(back, end1, end2) == _after(ws["p1"], end1, end2)
        await back.close()
    finally:
        for api in say.values():
            await api.http.aclose()
        for c in ws.values():
            await c.close()


async def test_a_whole_session_resuming_at_once_each_from_where_they_were(resuming):
    """Every socket drops after a round opened; everyone comes back together with the
    K they had before it: each gets its own move and its own room's members."""
    server = resuming
    w = await make_world(server)
    sid = w.session["id"]
    keys = ("mod", "p1", "p2", "p3")
    ws = await join(server, w, *keys)
    ks = {key: ws[key].frames[0]["seq"] for key in keys}
    async with Api(server.url, w.token("mod")) as mod:
        rnd = await mod.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {"count": 2, "strategy": "balanced", "countdown_s": 0},
            201,
        )
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        for key in keys:
            await ws[key].until(lambda f: f["type"] == "breakout.opened")
        for c in ws.values():
            await c.close()
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "all back"}, 201)
    back = await asyncio.gather(*(_resume(server, w, key, ks[key], "all back") for key in keys))
    backs = dict(zip(keys, back, strict=True))
    for key in ("p1", "p2", "p3"):
        opened = ws[key].frames[-1]["seq"]  # what each had live, up to the opening
        assert _after(backs[key], ks[key], opened) == _after(ws[key], ks[key], opened)
        own = [
            f["data"]["to_room"]
            for f in backs[key].frames
            if f["type"] == "room.moved" and f["data"]["person_id"] == w.id(key)
        ]
        members = next(f for f in backs[key].frames if f["type"] == "breakout.opened")
        assert list(members["data"]["room_members"]) == own
        assert w.id(key) in members["data"]["room_members"][own[0]]
    plenary = w.session["plenary_room_id"]
    out = {
        f["data"]["person_id"]
        for f in backs["mod"].frames
        if f["type"] == "room.moved" and f["data"]["to_room"] != plenary
    }
    assert out == {w.id(key) for key in ("p1", "p2", "p3")}  # moderators see every move
    for c in backs.values():
        await c.close()
