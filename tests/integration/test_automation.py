"""Session automation with a real scheduler in a real server: on time, once, durable."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.support.client import Api, make_world, ws_connect
from tests.support.db import log_rows, query
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _at(frame: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(frame["at"].replace("Z", "+00:00"))


async def _session(api: Api, event_id: str, start: dt.datetime, end: dt.datetime, **kw) -> dict:
    body = {"title": "Automated", "start": _iso(start), "end": _iso(end), **kw}
    return await api.ok("POST", f"/api/events/{event_id}/sessions", body, 201)


async def _automated(srv, w, start: dt.datetime, end: dt.datetime, lobby_lead_s: int) -> dict:
    """A session that opens its lobby, goes live and ends on its own, without reminders."""
    async with Api(srv.url, w.token("mod")) as mod:
        return await _session(
            mod,
            w.event["id"],
            start,
            end,
            lobby_lead_s=lobby_lead_s,
            auto_live=True,
            auto_end=True,
            reminders_s=[],
        )


def _sqlite_server(tmp_path) -> tuple[dict, ServerProcess]:
    """A private server on a SQLite file, so the test can stop and restart it."""
    env = {"CONVENE_DATABASE_URL": f"sqlite:///{tmp_path}/convene.db"}
    return env, ServerProcess(tmp_path, env).start()


async def test_lobby_live_and_end_fire_once_and_on_time(server):
    w = await make_world(server, status=None)
    now = dt.datetime.now(dt.UTC)
    start, end = now + dt.timedelta(seconds=3), now + dt.timedelta(seconds=5)
    s = await _automated(server, w, start, end, lobby_lead_s=2)
    c = await ws_connect(server, s["id"], w.token("mod"))
    await c.next()
    ended = await c.until(
        lambda f: f["type"] == "session.status" and f["data"]["status"] == "ended", timeout=12
    )
    statuses = [f for f in c.frames if f["type"] == "session.status"]
    assert [f["data"]["status"] for f in statuses] == ["lobby", "live", "ended"]
    for frame, due in zip(statuses, (start - dt.timedelta(seconds=2), start, end), strict=True):
        assert dt.timedelta(0) <= _at(frame) - due < dt.timedelta(seconds=2)
        assert frame["by"] is None and frame["data"]["late_s"] < 2
    assert ended["data"]["previous"] == "live"
    await c.close()


async def test_without_auto_end_moderators_get_overtime(server):
    w = await make_world(server, status=None)
    now = dt.datetime.now(dt.UTC)
    async with Api(server.url, w.token("mod")) as mod:
        s = await _session(
            mod,
            w.event["id"],
            now + dt.timedelta(seconds=1),
            now + dt.timedelta(seconds=2),
            lobby_lead_s=0,
            reminders_s=[],
        )
        await mod.ok("POST", f"/api/sessions/{s['id']}/status", {"status": "live"})
    m = await ws_connect(server, s["id"], w.token("mod"))
    p = await ws_connect(server, s["id"], w.token("p1"))
    await m.next()
    await p.next()
    over = await m.until(lambda f: f["type"] == "session.overtime", timeout=8)
    assert over["data"]["status"] == "live"
    async with Api(server.url, w.token("mod")) as mod:
        assert (await mod.ok("GET", f"/api/sessions/{s['id']}"))["status"] == "live"
        await mod.ok("POST", f"/api/sessions/{s['id']}/broadcast", {"text": "after"}, 201)
    await p.until(lambda f: f["type"] == "broadcast.message")
    assert not any(f["type"] == "session.overtime" for f in p.frames)  # moderators only
    await m.close()
    await p.close()


async def test_reschedule_moves_timers_and_cancel_removes_them(server):
    w = await make_world(server, status=None)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now + dt.timedelta(days=2)
    async with Api(server.url, w.token("mod")) as mod:
        s = await _session(mod, w.event["id"], start, start + dt.timedelta(hours=2))
        sql = "SELECT kind, target FROM timers WHERE session_id = {p} AND done_at IS NULL"
        kinds = sorted(k for k, _ in query(server, sql, s["id"]))
        assert kinds == ["session.end", "session.lobby", "session.reminder", "session.reminder"]
        later = start + dt.timedelta(hours=5)
        await mod.ok(
            "PATCH",
            f"/api/sessions/{s['id']}",
            {"start": _iso(later), "end": _iso(later + dt.timedelta(hours=1))},
        )
        due = query(
            server,
            "SELECT due_at FROM timers WHERE session_id = {p} AND kind = 'session.lobby'",
            s["id"],
        )[0][0]
        assert str(later - dt.timedelta(minutes=15))[:19] == str(due)[:19]
        await mod.ok("POST", f"/api/sessions/{s['id']}/status", {"status": "cancelled"})
        assert query(server, sql, s["id"]) == []


async def test_instants_in_the_past_are_not_scheduled(server):
    w = await make_world(server, status=None)
    assert query(server, "SELECT count(*) FROM timers WHERE session_id = {p}", w.session["id"]) == [
        (0,)
    ]


async def test_reminder_carries_each_persons_local_start(server):
    w = await make_world(server, status=None)
    now = dt.datetime.now(dt.UTC)
    start = now + dt.timedelta(seconds=3601)
    async with Api(server.url, w.token("mod")) as mod:
        s = await _session(
            mod, w.event["id"], start, start + dt.timedelta(hours=2), reminders_s=[3600]
        )
    c = await ws_connect(server, s["id"], w.token("mod"))
    await c.next()
    rem = await c.until(lambda f: f["type"] == "session.reminder", timeout=8)
    people = {p["person_id"]: p for p in rem["data"]["people"]}
    nino = people[w.id("p1")]
    assert nino["timezone"] == "Asia/Tbilisi" and nino["local_start"].endswith("+04:00")
    assert nino["abbr"] == "+04"
    assert rem["data"]["before_s"] == 3600
    await c.close()


async def test_a_moment_missed_while_down_fires_once_at_start_up(tmp_path):
    env, srv = _sqlite_server(tmp_path)
    try:
        w = await make_world(srv, status=None)
        now = dt.datetime.now(dt.UTC)
        lobby_at = now + dt.timedelta(seconds=2)
        async with Api(srv.url, w.token("mod")) as mod:
            s = await _session(
                mod,
                w.event["id"],
                lobby_at + dt.timedelta(seconds=900),
                lobby_at + dt.timedelta(seconds=4000),
                reminders_s=[],
            )
    finally:
        srv.stop()
    # the service is down while the lobby should open; let that moment pass
    await asyncio.sleep(max(0.0, (lobby_at - dt.datetime.now(dt.UTC)).total_seconds()) + 1.0)
    srv2 = ServerProcess(tmp_path, env, port=srv.port, admin_token=srv.admin_token).start()
    try:
        c = await ws_connect(srv2, s["id"], w.token("mod"), resume_from=0)
        frame = await c.until(lambda f: f["type"] == "session.status", timeout=8)
        assert frame["data"]["status"] == "lobby" and frame["data"]["late_s"] >= 1.0
        await c.close()
        rows = [r for r in log_rows(srv2, s["id"]) if r[1] == "session.status"]
        assert len(rows) == 1
    finally:
        srv2.stop()


async def _until_past(instant: dt.datetime, margin_s: float = 0.5) -> None:
    """Let wall-clock time pass ``instant`` while the service is down: the point of the
    test is that nobody is running then, so there is nothing to wait on but the clock."""
    delay = (instant - dt.datetime.now(dt.UTC)).total_seconds() + margin_s
    await asyncio.sleep(max(0.0, delay))


def _status_rows(srv, session_id: str) -> list[tuple[int, str, dict]]:
    return [r for r in log_rows(srv, session_id) if r[1] == "session.status"]


async def _restart_and_collect(tmp_path, env, srv, w, session_id: str, n: int) -> list[dict]:
    """Start the service again and read, from the start of the log, the session's
    status events until it has ended; the service is stopped again afterwards."""
    restarted_at = dt.datetime.now(dt.UTC)
    srv2 = ServerProcess(tmp_path, env, port=srv.port, admin_token=srv.admin_token).start()
    try:
        c = await ws_connect(srv2, session_id, w.token("mod"), resume_from=0)
        await c.until(
            lambda f: f["type"] == "session.status" and f["data"]["status"] == "ended", timeout=10
        )
        await c.close()
        statuses = [f for f in c.frames if f["type"] == "session.status"]
        assert len(statuses) == n
        # once: the log holds each change once and no automation timer is left pending
        assert len(_status_rows(srv2, session_id)) == n
        pending = (
            "SELECT count(*) FROM timers WHERE session_id = {p} AND kind LIKE 'session.%'"
            " AND done_at IS NULL"
        )
        assert query(srv2, pending, session_id) == [(0,)]
        async with Api(srv2.url, w.token("mod")) as mod:
            assert (await mod.ok("GET", f"/api/sessions/{session_id}"))["status"] == "ended"
        return [{**f, "restarted_at": restarted_at} for f in statuses]
    finally:
        srv2.stop()


async def test_lobby_live_and_end_all_missed_while_down_fire_in_order_at_start_up(tmp_path):
    env, srv = _sqlite_server(tmp_path)
    try:
        w = await make_world(srv, status=None)
        now = dt.datetime.now(dt.UTC)
        start, end = now + dt.timedelta(seconds=4), now + dt.timedelta(seconds=5)
        lobby_at = start - dt.timedelta(seconds=1)
        s = await _automated(srv, w, start, end, lobby_lead_s=1)
    finally:
        srv.stop()
    assert _status_rows(srv, s["id"]) == [], "the lobby opened before the service stopped"
    await _until_past(end)
    frames = await _restart_and_collect(tmp_path, env, srv, w, s["id"], 3)
    assert [(f["data"]["previous"], f["data"]["status"]) for f in frames] == [
        ("scheduled", "lobby"),
        ("lobby", "live"),
        ("live", "ended"),
    ]
    assert [f["seq"] for f in frames] == sorted(f["seq"] for f in frames)
    for frame, due in zip(frames, (lobby_at, start, end), strict=True):
        missed_by = (frame["restarted_at"] - due).total_seconds()
        assert frame["data"]["late_s"] >= missed_by > 0, (frame, due)
        assert frame["by"] is None
        assert abs((_at(frame) - due).total_seconds() - frame["data"]["late_s"]) < 1


async def test_restart_between_lobby_and_live_fires_live_and_end_once(tmp_path):
    env, srv = _sqlite_server(tmp_path)
    try:
        w = await make_world(srv, status=None)
        now = dt.datetime.now(dt.UTC)
        lobby_at = now + dt.timedelta(seconds=2)
        start, end = lobby_at + dt.timedelta(seconds=3), lobby_at + dt.timedelta(seconds=4)
        s = await _automated(srv, w, start, end, lobby_lead_s=3)
        c = await ws_connect(srv, s["id"], w.token("mod"))
        await c.next()
        lobby = await c.until(lambda f: f["type"] == "session.status", timeout=6)
        assert lobby["data"]["status"] == "lobby" and lobby["data"]["late_s"] < 2
        await c.close()
    finally:
        srv.kill()  # a crash, not a drain
    assert [r[2]["status"] for r in _status_rows(srv, s["id"])] == ["lobby"]
    await _until_past(end)
    frames = await _restart_and_collect(tmp_path, env, srv, w, s["id"], 3)
    assert frames[0]["seq"] == lobby["seq"] and frames[0]["data"]["late_s"] < 2
    assert [(f["data"]["previous"], f["data"]["status"]) for f in frames[1:]] == [
        ("lobby", "live"),
        ("live", "ended"),
    ]
    for frame, due in zip(frames[1:], (start, end), strict=True):
        assert frame["data"]["late_s"] >= (frame["restarted_at"] - due).total_seconds() > 0
        assert frame["by"] is None
