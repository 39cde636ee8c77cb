"""The event log on both backends and with two processes: gapless, duplicate-free,
every stored event valid against its schema (timer events included)."""

from __future__ import annotations

import asyncio
import datetime as dt
import typing
import uuid

import pytest

from scheduler.status import TRANSITIONS
from server.event_registry import coerce
from server.events import SessionReminder, SessionStatus, Status
from tests.support.client import Api, make_world, ws_connect
from tests.support.db import log_rows
from tests.support.server import process_pair

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_parallel_commands_leave_a_gapless_log(any_server):
    server = any_server
    w = await make_world(server, status="lobby")
    sid = w.session["id"]
    watcher = await ws_connect(server, sid, w.token("mod"))
    snap = await watcher.next()
    async with Api(server.url, w.token("mod")) as mod:
        calls = [
            mod.call("POST", f"/api/sessions/{sid}/broadcast", {"text": f"m{i}"}) for i in range(50)
        ]
        calls.insert(25, mod.call("POST", f"/api/sessions/{sid}/status", {"status": "live"}))
        calls.insert(10, mod.call("POST", f"/api/sessions/{sid}/status", {"status": "live"}))
        results = await asyncio.gather(*calls)
    codes = sorted(r.status_code for r in results)
    assert codes.count(201) == 50 and codes.count(200) == 1 and codes.count(409) == 1
    rows = log_rows(server, sid)
    seqs = [s for s, _, _ in rows]
    assert seqs == list(range(1, len(seqs) + 1))
    # the moderator's socket saw all of them, once, in order
    await watcher.until(lambda f: f.get("seq") == seqs[-1], timeout=10)
    got = [f["seq"] for f in watcher.frames if "seq" in f and f["type"] != "snapshot"]
    assert got == list(range(snap["seq"] + 1, seqs[-1] + 1))
    await watcher.close()


async def test_every_stored_event_matches_its_schema(any_server):
    server = any_server
    w = await make_world(server, status="lobby")
    sid = w.session["id"]
    c = await ws_connect(server, sid, w.token("p1"))
    await c.next()
    async with Api(server.url, w.token("mod")) as mod:
        await mod.ok(
            "POST",
            f"/api/sessions/{sid}/broadcast",
            {"text": "hi", "translations": {"ar": "مرحبا"}},
            201,
        )
        await mod.ok("PATCH", f"/api/sessions/{sid}", {"start": "2021-08-31T14:30"})
        await mod.ok("PATCH", f"/api/events/{w.event['id']}", {"interpretation_languages": ["ar"]})
        await mod.ok("POST", f"/api/sessions/{sid}/status", {"status": "live"})
    await c.close()
    async with Api(server.url, w.token("mod")) as mod:
        await mod.ok("DELETE", f"/api/events/{w.event['id']}/people/{w.id('p1')}", status=204)
    rows = log_rows(server, sid)
    types = {t for _, t, _ in rows}
    assert {
        "room.moved",
        "presence.joined",
        "presence.left",
        "broadcast.message",
        "session.rescheduled",
        "event.updated",
        "session.status",
        "person.removed",
    } <= types
    for _, t, data in rows:
        coerce(t, data)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


async def test_timer_events_match_their_schemas(any_server):
    """Reminder, lobby, live (with ``late_s``) and overtime, fired by the service's own
    timers a few seconds ahead, are stored valid against their registered schemas."""
    server = any_server
    w = await make_world(server, status=None)
    now = dt.datetime.now(dt.UTC)
    start, end = now + dt.timedelta(seconds=4), now + dt.timedelta(seconds=6)
    async with Api(server.url, w.token("mod")) as mod:
        s = await mod.ok(
            "POST",
            f"/api/events/{w.event['id']}/sessions",
            {
                "title": "Timed",
                "start": _iso(start),
                "end": _iso(end),
                "lobby_lead_s": 2,
                "auto_live": True,
                "reminders_s": [3],
            },
            201,
        )
    sid = s["id"]
    c = await ws_connect(server, sid, w.token("mod"))
    await c.next()
    await c.until(lambda f: f["type"] == "session.overtime", timeout=15)
    await c.close()
    rows = log_rows(server, sid)
    by_type: dict[str, list[dict]] = {}
    for _, t, data in rows:
        coerce(t, data)  # raises on any payload that does not match its schema
        by_type.setdefault(t, []).append(data)
    assert {"session.reminder", "session.status", "session.overtime"} <= set(by_type)
    statuses = [SessionStatus.model_validate(d) for d in by_type["session.status"]]
    assert [(x.previous, x.status) for x in statuses] == [("scheduled", "lobby"), ("lobby", "live")]
    assert all(x.late_s is not None and 0 <= x.late_s < 2 for x in statuses)
    (reminder,) = [SessionReminder.model_validate(d) for d in by_type["session.reminder"]]
    assert reminder.before_s == 3
    tbilisi = next(p for p in reminder.people if p.person_id == w.id("p1"))
    assert tbilisi.timezone == "Asia/Tbilisi" and tbilisi.abbr == "+04"
    assert tbilisi.local_start.endswith("+04:00")
    assert {p.person_id for p in reminder.people} == {p["id"] for p in w.people.values()}
    (overtime,) = by_type["session.overtime"]
    assert overtime["status"] == "live"
    assert dt.datetime.fromisoformat(overtime["end"]) == dt.datetime.fromisoformat(s["end"])


async def test_event_schema_statuses_are_the_status_machine():
    assert set(typing.get_args(Status)) == set(TRANSITIONS)


async def test_schemas_refuse_what_the_contract_does_not_allow():
    with pytest.raises(ValueError):
        coerce("session.status", {"status": "paused", "previous": "live"})
    person = {"person_id": "p", "timezone": "Asia/Tbilisi", "abbr": "+04"}
    base = {"start": "2021-08-31T12:00:00Z", "before_s": 900}
    coerce(
        "session.reminder",
        base | {"people": [person | {"local_start": "2021-08-31T16:00:00+04:00"}]},
    )
    for bad in (
        [person | {"local_start": "2021-08-31T16:00:00"}],  # no offset
        [person | {"local_start": "tomorrow"}],
        [person],  # local_start missing
        [person | {"local_start": "2021-08-31T16:00:00+04:00", "email": "x@example.org"}],
    ):
        with pytest.raises(ValueError):
            coerce("session.reminder", base | {"people": bad})


# ---- two processes on one PostgreSQL -------------------------------------------------


def _broadcast_seqs(ws) -> dict[str, int]:
    return {f["data"]["text"]: f["seq"] for f in ws.frames if f.get("type") == "broadcast.message"}


@pytest.mark.services
async def test_two_processes_in_parallel_leave_a_gapless_log(tmp_path, fresh_pg, redis_url):
    a, b = process_pair(tmp_path, fresh_pg, redis_url, f"lc-{uuid.uuid4().hex[:8]}")
    with a, b:
        w = await make_world(a, status="live")
        sid = w.session["id"]
        clients = {}
        for proc, key in ((a, "mod"), (a, "p1"), (b, "obs"), (b, "p2")):
            c = await ws_connect(proc, sid, w.token(key))
            assert (await c.next())["type"] == "snapshot"
            clients[(proc.port, key)] = c
        texts = [f"m{i}" for i in range(50)]
        async with Api(a.url, w.token("mod")) as on_a, Api(b.url, w.token("mod")) as on_b:
            results = await asyncio.gather(
                *(
                    (on_a if i % 2 else on_b).call(
                        "POST", f"/api/sessions/{sid}/broadcast", {"text": t}
                    )
                    for i, t in enumerate(texts)
                )
            )
        assert [r.status_code for r in results] == [201] * 50, [r.text for r in results]
        rows = log_rows(a, sid)
        seqs = [seq for seq, _, _ in rows]
        assert seqs == list(range(1, len(rows) + 1))  # no gap, no duplicate
        stored = {d["text"]: seq for seq, t, d in rows if t == "broadcast.message"}
        assert sorted(stored) == sorted(texts)
        assert sum(t == "broadcast.message" for _, t, _ in rows) == 50  # each stored once
        for c in clients.values():
            await c.until(lambda f, c=c: len(_broadcast_seqs(c)) == 50, timeout=20)
            assert _broadcast_seqs(c) == stored  # every client, on either process
            got = [f["seq"] for f in c.frames if f["type"] != "snapshot"]
            assert got == sorted(set(got))  # in order, each once
        # staff see every event: exactly the log from their snapshot up to what they read
        logged = [seq for seq, _, _ in log_rows(a, sid)]
        for proc, key in ((a, "mod"), (b, "obs")):
            c = clients[(proc.port, key)]
            got = [f["seq"] for f in c.frames[1:]]
            assert got == [s for s in logged if c.frames[0]["seq"] < s <= got[-1]]
        for c in clients.values():
            await c.close()
