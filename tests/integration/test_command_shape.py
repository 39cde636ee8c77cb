"""The command shape (issue 14): an event change reaches all of its sessions in one
transaction, reads never wait for the write lock, and each app has its own wiring."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import psycopg
import pytest

from server.app import create_app
from server.features import install_breakouts, install_sessions
from server.services import interpretation_follow
from server.settings import Settings
from tests.support.client import Api, eventually, make_world

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _second_session(admin: Api, event_id: str) -> dict:
    return await admin.ok(
        "POST",
        f"/api/events/{event_id}/sessions",
        {"title": "Afternoon", "start": "2021-08-31T17:00", "end": "2021-08-31T18:00"},
        201,
    )


async def test_an_event_change_reaches_every_session_at_once_or_not_at_all(pg_server, pg_url):
    """While one session of the event is locked by another transaction, the PATCH
    waits, and nobody sees the event changed without all of its sessions."""
    w = await make_world(pg_server)
    eid = w.event["id"]
    async with Api(pg_server.url, pg_server.admin_token) as admin:
        second = await _second_session(admin, eid)
        with (
            psycopg.connect(pg_url) as blocker,
            psycopg.connect(pg_url, autocommit=True) as watcher,
        ):
            blocker.execute("SELECT id FROM sessions WHERE id = %s FOR UPDATE", (second["id"],))
            patch = asyncio.create_task(
                admin.call("PATCH", f"/api/events/{eid}", {"interpretation_languages": ["ar"]})
            )

            def waiting() -> int:
                q = (
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
                return watcher.execute(q).fetchone()[0]

            async def probe() -> int:
                return await asyncio.to_thread(waiting)

            assert await eventually(probe, lambda n: n >= 1) >= 1, "the PATCH never waited"
            seen = await admin.ok("GET", f"/api/events/{eid}")
            before = w.event["interpretation_languages"]
            assert seen["interpretation_languages"] == before, "changed before its sessions"
            blocker.rollback()
        r = await patch
        assert r.status_code == 200, r.text
        for sid in (w.session["id"], second["id"]):
            channels = await admin.ok("GET", f"/api/sessions/{sid}/channels")
            plenary = next(room for room in channels["rooms"] if room["kind"] == "plenary")
            assert {c["language"] for c in plenary["channels"]} == {w.event["floor_language"], "ar"}


async def test_reads_answer_while_another_writer_holds_the_database(server):
    """GETs read in a read transaction: on SQLite a write transaction would queue
    behind any writer (30 s busy timeout) before answering."""
    w = await make_world(server)
    sid = w.session["id"]
    held = sqlite3.connect(server.workdir / "convene.db", isolation_level=None)
    try:
        held.execute("BEGIN IMMEDIATE")
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {w.token('mod')}"}, timeout=5
        ) as mod:
            for path in ("channels", "interpretation/report", "breakouts", "help"):
                r = await mod.get(f"/api/sessions/{sid}/{path}")
                assert r.status_code == 200, (path, r.text)
    finally:
        held.rollback()
        held.close()


async def test_two_apps_in_one_process_share_no_wiring(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/a.db", data_dir=str(tmp_path))
    full = create_app(settings)
    small = create_app(settings, installs=(install_sessions, install_breakouts))
    assert full.state.wiring is not small.state.wiring
    paths = set(small.openapi()["paths"])
    assert "/api/sessions/{session_id}/breakouts" in paths
    assert "/api/sessions/{session_id}/channels" not in paths
    assert "/api/sessions/{session_id}/channels" in full.openapi()["paths"]
    # interpretation follows moves only where it is installed
    assert small.state.wiring.followers == []
    assert small.state.wiring.on_round_open == []
    assert interpretation_follow.follow in full.state.wiring.followers
