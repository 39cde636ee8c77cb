"""Participants' snapshots from the session view (server/gateway/session_view.py) are
byte for byte the snapshots read from the database at the same seq: a real session is
driven through arrivals, chat, hands, a round, channels on air, language changes and
people added, renamed and removed; after every step, in one read transaction, the view
follows the log up to the session's seq (or, where it cannot, is read again) and each
caller's snapshot from it is compared with the one ``snapshot.build`` reads."""

from __future__ import annotations

import asyncio
import difflib
import re
import uuid

import orjson
import pytest

from server import features
from server.auth import Caller
from server.db import Database
from server.gateway import session_view, snapshot
from server.gateway.hub import read_events
from server.gateway.snapshot import Miss
from server.models import InterpretationState, Person, Session
from tests.support.client import Api, eventually, make_world, ws_connect
from tests.support.server import process_pair

pytestmark = pytest.mark.asyncio(loop_scope="session")

LARGE_ROOM = 100  # the server's setting (its default)
PARTS = features.wire(features.INSTALLED).snapshot


class Checker:
    """Keeps a view of the session and compares it with the database after each step."""

    def __init__(self, db: Database, sid: str, people: dict[str, str]):
        self.db, self.sid, self.people = db, sid, people
        self.view: session_view.SessionView | None = None
        self.followed = self.reread = 0  # steps the view followed / had to read again

    async def check(self, step: str) -> None:
        async with self.db.read() as tx:
            s = await tx.get(Session, self.sid)
            view = self.view
            if view is not None:
                for ev in await read_events(tx, self.sid, view.seq, s.seq, limit=10_000):
                    if not view.apply(ev):
                        view = None
                        break
            if view is None:
                self.reread += 1
                view = await session_view.read(tx, self.sid, LARGE_ROOM, "", PARTS, 0.0)
            else:
                self.followed += 1
            self.view = view
            assert view.seq == s.seq, step
            if view.channels_at != view.seq:  # as the feed does: read with their seq
                row = await tx.get(InterpretationState, self.sid)
                assert view.set_channels(s.seq, row.view if row else None) or row is None
            for key, pid in self.people.items():
                caller = Caller(await tx.get(Person, pid))
                want = await snapshot.build(tx, self.sid, caller, LARGE_ROOM, "", None, parts=PARTS)
                if caller.is_staff:
                    with pytest.raises(Miss):
                        await view.snapshot(caller, LARGE_ROOM, "", PARTS)
                    continue
                got = await view.snapshot(caller, LARGE_ROOM, "", PARTS)
                got["server_time"] = want["server_time"]
                assert orjson.dumps(got) == orjson.dumps(want), _diff(step, key, got, want)


def _diff(step: str, key: str, got: dict, want: dict) -> str:
    lines = [
        difflib.unified_diff(
            orjson.dumps(want, option=orjson.OPT_INDENT_2).decode().splitlines(),
            orjson.dumps(got, option=orjson.OPT_INDENT_2).decode().splitlines(),
            "database",
            "view",
            lineterm="",
        )
    ]
    return f"{step}, {key}'s snapshot:\n" + "\n".join(lines[0])


async def _types_of(db: Database, sid: str, person_id: str) -> list[str]:
    async with db.read() as tx:
        events = await read_events(tx, sid, 0, limit=10_000)
    return [e.type for e in events if e.data.get("person_id") == person_id]


# staff snapshots read the round through breakout_state.load, which uses the plain
# SQLAlchemy ``execute`` (warned about by SQLModel; the server runs it the same way)
@pytest.mark.filterwarnings(r"ignore:\s+\S+ You probably want:DeprecationWarning")
async def test_the_views_snapshots_are_the_databases_at_every_step(server):
    w = await make_world(server)
    sid, eid = w.session["id"], w.event["id"]
    db = Database(f"sqlite:///{server.workdir}/convene.db")
    callers = {k: w.id(k) for k in ("mod", "obs", "ar1", "p1", "p2", "p3")}
    c = Checker(db, sid, callers)
    try:
        await c.check("before anyone came")
        sockets = {}
        for key in ("p1", "p2", "p3", "ar1", "mod"):
            sockets[key] = await ws_connect(server, sid, w.token(key))
            await sockets[key].next()
            await c.check(f"{key} arrived")
        async with (
            Api(server.url, w.token("mod")) as mod,
            Api(server.url, w.token("p1")) as p1,
            Api(server.url, w.token("p2")) as p2,
            Api(server.url, w.token("ar1")) as ar1,
            Api(server.url, server.admin_token) as admin,
        ):
            await p1.ok("POST", f"/api/sessions/{sid}/messages", {"text": "hi", "to": "room"}, 201)
            await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "Welcome"}, 201)
            await c.check("chat and broadcast")
            hand = await p2.ok("POST", f"/api/sessions/{sid}/hands", {}, 201)
            await c.check("a hand up")
            help_ = await p1.ok("POST", f"/api/sessions/{sid}/help", {}, 201)
            await c.check("help asked")
            await ar1.ok("POST", f"/api/sessions/{sid}/channels/ar/on-air", None, 200)
            await c.check("a channel on air")
            await p1.ok("PUT", f"/api/sessions/{sid}/listening", {"language": "ar"})
            await c.check("p1 listens to ar")
            await mod.ok("DELETE", f"/api/sessions/{sid}/hands/{hand['id']}", None, 204)
            await mod.ok("DELETE", f"/api/sessions/{sid}/help/{help_['id']}", None, 204)
            await c.check("hand and help done")
            round_ = await mod.ok(
                "POST",
                f"/api/sessions/{sid}/breakouts",
                {"rooms": [{"name": "A"}, {"name": "B"}], "strategy": "balanced", "countdown_s": 0},
                201,
            )
            await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{round_['id']}/open")
            await c.check("round opened")
            await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{round_['id']}/close")
            await eventually(
                lambda: mod.ok("GET", f"/api/sessions/{sid}/breakouts/{round_['id']}"),
                lambda r: r["status"] == "closed",
            )
            await c.check("round closed")
            await mod.ok("PATCH", f"/api/events/{eid}", {"interpretation_languages": ["ar", "fr"]})
            await c.check("languages changed")
            late = await admin.ok(
                "POST", f"/api/events/{eid}/people", {"name": "Late", "role": "participant"}, 201
            )
            await c.check("someone added")
            c.people["late"] = late["id"]
            sockets["late"] = await ws_connect(server, sid, late["token"])
            await sockets["late"].next()
            await c.check("the newcomer arrived")
            await admin.ok("PATCH", f"/api/events/{eid}/people/{w.id('p3')}", {"name": "Jo W."})
            await c.check("someone renamed")
            await sockets.pop("p3").close()
            await eventually(lambda: _types_of(db, sid, w.id("p3")), lambda t: "presence.left" in t)
            await c.check("p3 left")
            await admin.call("DELETE", f"/api/events/{eid}/people/{w.id('p2')}")
            c.people.pop("p2")
            await c.check("p2 removed")
        for ws in sockets.values():
            await ws.close()
    finally:
        await db.close()
    assert c.followed >= 5, (c.followed, c.reread)  # arrivals, chat and leaving are followed


async def test_a_storm_of_arrivals_misses_and_repeats_nothing_after_each_snapshot(server):
    """Participants connect all at once while broadcasts go out: each one's snapshot
    (most from the view, which the arrivals move on) places them in the plenary, and
    every broadcast after its seq reaches them exactly once, in seq order."""
    w = await make_world(server)
    sid, eid = w.session["id"], w.event["id"]
    async with Api(server.url, server.admin_token) as admin:
        people = [
            await admin.ok(
                "POST", f"/api/events/{eid}/people", {"name": f"P{i}", "role": "participant"}, 201
            )
            for i in range(30)
        ]
    first = await ws_connect(server, sid, w.token("p1"))  # the feed exists from here on
    await first.next()
    sent: list[int] = []

    async def arrive(person: dict):
        ws = await ws_connect(server, sid, person["token"])
        return ws, await ws.next()

    async with Api(server.url, w.token("mod")) as mod:

        async def broadcasts():
            for k in range(10):
                r = await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": f"b{k}"}, 201)
                sent.append(r["seq"])

        arrivals, _ = await asyncio.gather(
            asyncio.gather(*(arrive(p) for p in people)), broadcasts()
        )
        last = await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "end"}, 201)
        metrics = (await mod.call("GET", "/metrics")).text
    from_view = re.search(r'^convene_snapshots_total\{source="view"\} (\S+)$', metrics, re.M)
    assert from_view is not None and float(from_view[1]) > 0, "no snapshot came from the view"
    try:
        for ws, snap in arrivals:
            assert snap["type"] == "snapshot"
            assert snap["data"]["you"]["room_id"] == w.session["plenary_room_id"]
            frames = [await ws.next()]
            while frames[-1].get("seq") != last["seq"]:
                frames.append(await ws.next())
            seqs = [f["seq"] for f in frames]
            assert seqs == sorted(set(seqs)) and seqs[0] > snap["seq"], (snap["seq"], seqs)
            got = [f["seq"] for f in frames if f["type"] == "broadcast.message"]
            assert got == [s for s in sent if s > snap["seq"]] + [last["seq"]]
    finally:
        await first.close()
        for ws, _ in arrivals:
            await ws.close()


@pytest.mark.services
async def test_arrivals_on_another_process_reach_this_ones_snapshots(tmp_path, fresh_pg, redis_url):
    """Process A's view follows arrivals stored by process B (through Redis and A's
    log read, as every event): a participant connecting to A afterwards sees the
    plenary exactly as a moderator's snapshot read from the database does."""
    a, b = process_pair(tmp_path, fresh_pg, redis_url, f"sv-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a)
        sid = w.session["id"]
        watcher = await ws_connect(a, sid, w.token("mod"))  # A's feed; hears every arrival
        await watcher.next()
        p1 = await ws_connect(a, sid, w.token("p1"))
        await p1.next()
        p2 = await ws_connect(b, sid, w.token("p2"))
        await p2.next()
        await watcher.until(
            lambda f: f["type"] == "presence.joined" and f["data"]["person_id"] == w.id("p2"), 10
        )
        p3 = await ws_connect(a, sid, w.token("p3"))
        mine = (await p3.next())["data"]
        mod = await ws_connect(a, sid, w.token("mod"))  # staff: read from the database
        theirs = (await mod.next())["data"]
        plenary = w.session["plenary_room_id"]
        room = next(r for r in mine["rooms"] if r["id"] == plenary)
        assert room == next(r for r in theirs["rooms"] if r["id"] == plenary)
        assert room["online_count"] == 4 and room["members"] == sorted(
            w.id(k) for k in ("mod", "p1", "p2", "p3")
        )
        async with Api(a.url, None) as anon:
            metrics = (await anon.call("GET", "/metrics")).text
        from_view = re.search(r'^convene_snapshots_total\{source="view"\} (\S+)$', metrics, re.M)
        assert float(from_view[1]) >= 2  # p1's and p3's
        for c in (watcher, p1, p2, p3, mod):
            await c.close()
