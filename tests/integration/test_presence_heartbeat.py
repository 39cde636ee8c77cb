"""Presence keeps one heartbeat row per process (issue 19). Renewing it writes one row
however many connections the process holds (at 10,000 connections, renewing a row per
connection held SQLite's writer for up to 160 ms every 10 s). A process whose
heartbeat lapsed (killed) has its people swept out as ``presence.left`` by any
process; whoever also holds a connection on a live process stays online. In-process,
on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func
from sqlmodel import select

from server import features
from server.broker import MemoryBroker
from server.commands import Commands
from server.models import Person, PresenceLease
from server.models.presence import ProcessHeartbeat
from server.models.runtime import EventRecord as Stored
from server.services import presence
from tests.support.live_session import live_session

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]


async def _session(db, n: int) -> tuple[str, list[Person]]:
    """A live session and ``n`` participants, none connected yet."""
    cast = await live_session(db, n)
    return cast.sid, cast.people


def _commands(db) -> Commands:
    return Commands(db, MemoryBroker(), features.wire(features.INSTALLED))


async def _presence(db, sid: str) -> list[tuple[str, str, str | None]]:
    """Every stored presence event: (type, person, by)."""
    async with db.read() as tx:
        rows = (
            await tx.exec(
                select(Stored.type, Stored.data, Stored.by)
                .where(Stored.session_id == sid, Stored.type.like("presence.%"))
                .order_by(Stored.seq)
            )
        ).all()
    return [(t, d["person_id"], by) for t, d, by in rows]


async def _online(cmds: Commands, sid: str, people: list[Person]) -> set[str]:
    async with cmds.db.read() as tx:
        return await presence.online_among(tx, sid, [p.id for p in people])


async def test_renewing_writes_one_row_however_many_connections(migrated_db):
    sid, people = await _session(migrated_db, 300)
    cmds = _commands(migrated_db)
    await presence.renew(cmds, "A", 30)
    await presence.join_many(cmds, sid, [(p, f"c{i}") for i, p in enumerate(people)], "A", 30)
    written: list[int] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith("SELECT"):
            written.append(max(cursor.rowcount, 0))

    event.listen(migrated_db.writer.sync_engine, "after_cursor_execute", count)
    try:
        await presence.renew(cmds, "A", 30)
    finally:
        event.remove(migrated_db.writer.sync_engine, "after_cursor_execute", count)
    assert sum(written) == 1
    assert await _online(cmds, sid, people) == {p.id for p in people}


async def test_a_lapsed_process_people_leave_and_whoever_is_also_elsewhere_stays(migrated_db):
    sid, (p0, p1, p2) = await _session(migrated_db, 3)
    cmds = _commands(migrated_db)
    await presence.renew(cmds, "A", 30)
    await presence.renew(cmds, "B", 30)
    await presence.join_many(cmds, sid, [(p0, "a0"), (p1, "a1")], "A", 30)
    await presence.join_many(cmds, sid, [(p1, "b1"), (p2, "b2")], "B", 30)
    joined = await _presence(migrated_db, sid)
    assert [(t, p) for t, p, _ in joined] == [
        ("presence.joined", p0.id),
        ("presence.joined", p1.id),
        ("presence.joined", p2.id),
    ]
    assert await presence.sweep(cmds) == 0  # both processes beat: nobody leaves

    await presence.renew(cmds, "B", -1)  # B's heartbeat lapsed: it was killed
    await presence.sweep(cmds)
    assert (await _presence(migrated_db, sid))[3:] == [("presence.left", p2.id, None)]
    assert await _online(cmds, sid, [p0, p1, p2]) == {p0.id, p1.id}
    await presence.sweep(cmds)  # once is enough
    assert len(await _presence(migrated_db, sid)) == 4
    async with migrated_db.read() as tx:  # the dead process's heartbeat is gone with it
        beats = (await tx.exec(select(ProcessHeartbeat.instance_id))).all()
    assert sorted(beats) == ["A"]


async def test_a_connection_is_stored_with_its_process_heartbeat(migrated_db):
    """A process that has not renewed yet (just started, or back after an outage)
    keeps the people it admits through any sweep."""
    sid, (p0,) = await _session(migrated_db, 1)
    cmds = _commands(migrated_db)
    await presence.join_many(cmds, sid, [(p0, "c0")], "new", 30)
    assert await presence.sweep(cmds) == 0
    assert await _online(cmds, sid, [p0]) == {p0.id}


async def test_a_lease_of_a_process_with_no_heartbeat_is_swept(migrated_db):
    """Leases stored before heartbeats existed (an upgrade) end at the first sweep."""
    sid, (p0,) = await _session(migrated_db, 1)
    cmds = _commands(migrated_db)
    async with migrated_db.write() as tx:
        tx.add(PresenceLease(id="old", session_id=sid, person_id=p0.id, instance_id="gone"))
    assert await presence.sweep(cmds) == 1
    assert (await _presence(migrated_db, sid))[-1] == ("presence.left", p0.id, None)


async def test_a_clean_shutdown_ends_its_own_connections_at_once(migrated_db):
    sid, (p0, p1) = await _session(migrated_db, 2)
    cmds = _commands(migrated_db)
    await presence.renew(cmds, "A", 30)
    await presence.renew(cmds, "B", 30)
    await presence.join_many(cmds, sid, [(p0, "a0")], "A", 30)
    await presence.join_many(cmds, sid, [(p1, "b1")], "B", 30)
    await presence.drop_instance(cmds, "A")
    assert (await _presence(migrated_db, sid))[-1] == ("presence.left", p0.id, None)
    assert await _online(cmds, sid, [p0, p1]) == {p1.id}
    async with migrated_db.read() as tx:
        beats = (await tx.exec(select(func.count()).select_from(ProcessHeartbeat))).one()
    assert beats == 1
