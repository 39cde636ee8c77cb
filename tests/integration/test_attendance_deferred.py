"""Attendance counts a round's moves a second after it opens, together (issue 19): the
opening's transaction writes no tally, yet every report, the session's end and a
restarted process count each second in the room and channel it was spent in, exactly
as if the moves had been counted at once. In-process on both databases, with the
events' own times, so that the seconds are exact."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import event
from sqlmodel import select

from server import eventlog, features
from server.broker import MemoryBroker
from server.commands import Commands
from server.db import Database
from server.event_registry import coerce
from server.eventlog import prune
from server.models import Session, Timer
from server.services import attendance
from server.services.attendance_reports import people_of
from tests.support.client import Api, eventually, make_world, ws_connect
from tests.support.live_session import live_session

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]

T0 = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)  # later than now: no open stretch grows
PEOPLE = 10


def at(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


async def _session(db: Database) -> tuple[str, dict[str, str], list[str]]:
    """A live session with a plenary and two breakout rooms; PEOPLE participants
    placed in the plenary."""
    cast = await live_session(db, PEOPLE, rooms=("P", "A", "B"), start=T0, placed=True)
    return cast.sid, cast.rooms, [p.id for p in cast.people]


def _commands(db: Database) -> Commands:
    return Commands(db, MemoryBroker(), features.wire(features.INSTALLED))


async def _store(cmds: Commands, sid: str, *events: tuple[float, str, dict]) -> None:
    """One command storing ``(seconds after T0, type, data)`` events at those times."""

    async def work(tx, s, log):
        for t, type_, data in events:
            log.emit(coerce(type_, data), ["moderators"], at=at(t))

    await cmds.run(sid, work, by=None)


def _moved(pid: str, frm: str, to: str) -> dict:
    return {"person_id": pid, "from_room": frm, "to_room": to}


async def _catch_up(cmds: Commands, sid: str) -> None:
    """Fire the pending catch-up timer now, as the leader does."""
    async with cmds.db.read() as tx:
        (timer,) = (
            await tx.exec(
                select(Timer).where(Timer.kind == attendance.CATCH_UP_KIND, Timer.done_at.is_(None))
            )
        ).all()

    async def work(tx, s, log):
        await attendance.catch_up(tx, s, log, timer, 0)

    await cmds.run(sid, work, by=None)


async def _report(db: Database, sid: str) -> dict[str, dict]:
    async with db.read() as tx:
        s = await tx.get(Session, sid)
        people = await people_of(tx, s, dt.datetime.now(dt.UTC))
    return {
        p["person_id"]: {
            "online_s": p["online_s"],
            "rooms": {r["name"]: r["s"] for r in p["rooms"]},
            "listened": p["listened"],
        }
        for p in people
    }


async def _round(cmds: Commands, sid: str, rooms: dict, people: list[str]) -> list[str]:
    """Everyone joins at 0; at 60 a round moves them to A and B (even, odd); at 90 the
    first changes language. The SQL the two moving commands ran."""
    await _store(
        cmds,
        sid,
        *((0, "presence.joined", {"person_id": p, "room_id": rooms["P"]}) for p in people),
    )
    sql: list[str] = []

    def seen(conn, cursor, statement, *args):
        sql.append(statement)

    event.listen(cmds.db.writer.sync_engine, "before_cursor_execute", seen)
    try:
        await _store(
            cmds,
            sid,
            *(
                (60, "room.moved", _moved(p, rooms["P"], rooms["A" if i % 2 == 0 else "B"]))
                for i, p in enumerate(people)
            ),
        )
        listening = {"person_id": people[0], "room_id": rooms["A"], "language": "fr"}
        await _store(
            cmds,
            sid,
            (90, "listening.changed", listening | {"fallback_reason": None, "requested": None}),
        )
    finally:
        event.remove(cmds.db.writer.sync_engine, "before_cursor_execute", seen)
    return sql


EXPECTED_AT_180 = {  # what everyone's report says once the session ended at 180
    0: {"online_s": 180.0, "rooms": {"P": 60.0, "A": 120.0}, "listened": {"en": 90.0, "fr": 90.0}},
    1: {"online_s": 120.0, "rooms": {"P": 60.0, "B": 60.0}, "listened": {"en": 120.0}},
    2: {"online_s": 180.0, "rooms": {"P": 60.0, "A": 120.0}, "listened": {"en": 180.0}},
    3: {"online_s": 180.0, "rooms": {"P": 60.0, "B": 120.0}, "listened": {"en": 180.0}},
}


async def test_a_rounds_moves_write_no_tally_and_every_report_counts_them(migrated_db):
    sid, rooms, people = await _session(migrated_db)
    cmds = _commands(migrated_db)
    sql = await _round(cmds, sid, rooms, people)
    assert sql and not [q for q in sql if "attendance_tallies" in q], sql

    before = await _report(migrated_db, sid)  # counted in memory, nothing written
    assert before[people[0]] == {
        "online_s": 90.0,
        "rooms": {"P": 60.0, "A": 30.0},
        "listened": {"en": 90.0},
    }
    assert before[people[3]]["rooms"] == {"P": 60.0}  # B from 60 on, up to now (none yet)
    await _catch_up(cmds, sid)
    assert await _report(migrated_db, sid) == before  # the catch-up wrote what the report said
    async with migrated_db.read() as tx:
        assert (await tx.get(Session, sid)).attendance_from is None

    # then one leaves at 120 and the session ends at 180
    await _store(cmds, sid, (120, "presence.left", {"person_id": people[1], "room_id": rooms["B"]}))
    await _store(cmds, sid, (180, "session.status", {"status": "ended", "previous": "live"}))
    after = await _report(migrated_db, sid)
    assert {i: after[people[i]] for i in EXPECTED_AT_180} == EXPECTED_AT_180


async def test_an_arrival_or_the_end_counts_the_waiting_moves_first(migrated_db):
    """No catch-up timer fires here: a departure and the end count the moves before
    their own events, in order, and the end's summary has them."""
    sid, rooms, people = await _session(migrated_db)
    cmds = _commands(migrated_db)
    stored = []
    cmds.handoff.append(lambda session_id, records: stored.extend(records))
    await _round(cmds, sid, rooms, people)
    await _store(cmds, sid, (120, "presence.left", {"person_id": people[1], "room_id": rooms["B"]}))
    async with migrated_db.read() as tx:
        assert (await tx.get(Session, sid)).attendance_from is None
    await _store(
        cmds,
        sid,
        (150, "room.moved", _moved(people[2], rooms["A"], rooms["B"])),
    )
    await _store(cmds, sid, (180, "session.status", {"status": "ended", "previous": "live"}))
    after = await _report(migrated_db, sid)
    want = dict(EXPECTED_AT_180)
    want[2] = {
        "online_s": 180.0,
        "rooms": {"P": 60.0, "A": 90.0, "B": 30.0},
        "listened": {"en": 180.0},
    }
    assert {i: after[people[i]] for i in want} == want
    (ready,) = [r for r in stored if r.type == "attendance.ready"]
    assert ready.data["people"] == PEOPLE


async def test_moves_waiting_when_a_process_dies_are_counted_by_the_next_one(
    migrated_db, monkeypatch
):
    """The deferral is stored with the moves: another process (a new ``Commands`` on
    the same database) fires the timer, and the log keeps the moves however it is
    pruned."""
    sid, rooms, people = await _session(migrated_db)
    await _round(_commands(migrated_db), sid, rooms, people)
    monkeypatch.setattr(eventlog, "utcnow", lambda: at(3600))  # every event is old
    async with migrated_db.write() as tx:
        s = await tx.get(Session, sid)
        assert await prune(tx, s, keep_events=0, keep_hours=0) > 0  # the arrivals go
        assert s.log_floor == s.attendance_from - 1
    before = await _report(migrated_db, sid)
    await _catch_up(_commands(migrated_db), sid)
    assert await _report(migrated_db, sid) == before
    assert before[people[0]]["rooms"] == {"P": 60.0, "A": 30.0}


async def test_a_servers_timer_counts_a_rounds_moves_within_seconds(server):
    """End to end: a real server opens a round; its moves wait in the session's row,
    and the leader's timer counts them about a second later, with no other command
    to do it."""
    w = await make_world(server, status="live")
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    p1 = await ws_connect(server, sid, w.token("p1"))
    await p1.next()
    db = server.env["CONVENE_DATABASE_URL"].removeprefix("sqlite:///")

    def waiting() -> int | None:
        with sqlite3.connect(db) as conn:
            return conn.execute(
                "SELECT attendance_from FROM sessions WHERE id = ?", (sid,)
            ).fetchone()[0]

    async with Api(server.url, w.token("mod")) as mod:
        rnd = await mod.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {"rooms": [{"name": "A"}], "strategy": "manual"},
            201,
        )
        room = rnd["rooms"][0]["id"]
        plan = {"assignments": {w.id("p1"): room}}
        await mod.ok("PUT", f"/api/sessions/{sid}/breakouts/{rnd['id']}/plan", plan)
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        await p1.until(lambda f: f.get("type") == "room.moved")
        await eventually(lambda: _now(waiting), lambda v: v is None, timeout=15)
        with sqlite3.connect(db) as conn:
            fired = conn.execute(
                "SELECT count(*) FROM timers WHERE kind = ? AND target = ? AND done_at IS NOT NULL",
                (attendance.CATCH_UP_KIND, sid),
            ).fetchone()[0]
        assert fired == 1  # the timer counted them (nothing else ran since the opening)
        people = await mod.ok("GET", f"/api/sessions/{sid}/attendance")
    (mine,) = [p for p in people if p["person_id"] == w.id("p1")]
    assert {r["room_id"] for r in mine["rooms"]} <= {plenary, room}
    await p1.close()


async def _now(read):
    return read()
