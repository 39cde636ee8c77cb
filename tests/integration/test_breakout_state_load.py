"""A breakout command that reads no one but the interpreters (an opening, a timer, a
step, a staff snapshot) loads the state without everyone of the event (issue 19):
what it holds is what the full load holds, and what it lacks it refuses to give."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event
from sqlmodel import select

import breakouts as bo
from server.models import (
    BreakoutRound,
    Person,
    Placement,
    PresenceLease,
    Room,
    Session,
    Timer,
)
from server.services.breakout_state import load, save_round
from server.services.interpretation_follow import booths_follow_round
from tests.support.live_session import live_session

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]

T0 = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)


async def _session(db) -> tuple[str, str]:
    """A live session: participants (some placed, some listening to French, some
    online), two French interpreters, a moderator, and a planned round of a French and
    a plain room with everyone planned."""
    cast = await live_session(db, 12, rooms=("P",), start=T0)
    sid, plenary = cast.sid, cast.rooms["P"]
    event_id = cast.people[0].event_id
    async with db.write() as tx:
        rnd = BreakoutRound(session_id=sid, strategy="manual", number=1, floor_language="en")
        fr = Room(session_id=sid, round_id=rnd.id, name="FR", kind="breakout", position=1)
        fr.languages = ["fr"]
        plain = Room(session_id=sid, round_id=rnd.id, name="X", kind="breakout", position=2)
        staff = [
            Person(
                event_id=event_id,
                name=f"I{i}",
                role="interpreter",
                token_hash=f"i{i}",
                interprets=["en>fr", "fr>en"],
            )
            for i in range(2)
        ]
        staff.append(Person(event_id=event_id, name="M", role="moderator", token_hash="m"))
        people = [*cast.people, *staff]
        rnd.plan = {p.id: (fr.id if i % 2 else plain.id) for i, p in enumerate(people[:12])}
        tx.add_all([rnd, fr, plain, *staff])
        await tx.flush()
        for i, p in enumerate(people):
            if i % 3:
                listening = "fr" if i % 4 == 1 else None
                tx.add(
                    Placement(session_id=sid, person_id=p.id, room_id=plenary, listening=listening)
                )
            if i % 2:
                tx.add(
                    PresenceLease(id=f"lease{i}", session_id=sid, person_id=p.id, instance_id="x")
                )
    return sid, rnd.id


async def test_a_load_without_people_holds_what_the_full_load_holds(migrated_db):
    sid, rid = await _session(migrated_db)
    async with migrated_db.read() as tx:
        s = await tx.get(Session, sid)
        for round_id in (rid, None):
            full = await load(tx, s, round_id)
            lean = await load(tx, s, round_id, people=False)
            assert lean.rounds == full.rounds
            assert lean.placement == full.placement
            assert lean.attending == full.attending
            assert lean.listening == full.listening
            assert sorted(lean.rooms) == sorted(full.rooms)
            interpreters = {pid: p for pid, p in full.people.items() if p.role == "interpreter"}
            assert len(interpreters) == 2
            assert lean.interpreters == full.interpreters == interpreters
            assert len(full.members) == 15 and any(m.online for m in full.members.values())
            # the interpreters follow the round into the French room either way
            moves = await booths_follow_round(tx, full, full.rounds[rid])
            assert set(moves) == set(interpreters)
            assert await booths_follow_round(tx, lean, lean.rounds[rid]) == moves
            # what it was loaded without, it does not pretend to have
            with pytest.raises(RuntimeError):
                lean.people  # noqa: B018
            with pytest.raises(RuntimeError):
                lean.members  # noqa: B018


async def _save(db, sid: str, rid: str, step) -> list[str]:
    """``step(round, state) -> round`` saved in one transaction; the SQL it ran."""
    sql: list[str] = []

    def seen(conn, cursor, statement, *args):
        sql.append(statement)

    async with db.write() as tx:
        st = await load(tx, await tx.get(Session, sid), rid, people=False)
        event.listen(db.writer.sync_engine, "before_cursor_execute", seen)
        try:
            await save_round(tx, st, step(st.rounds[rid], st))
            await tx.flush()
        finally:
            event.remove(db.writer.sync_engine, "before_cursor_execute", seen)
    return sql


async def _timers(db, rid: str) -> list[tuple[str, dt.datetime]]:
    async with db.read() as tx:
        rows = (await tx.exec(select(Timer).where(Timer.target == rid))).all()
    return sorted((t.kind, t.due_at) for t in rows if t.done_at is None)


async def test_a_round_that_waits_for_no_timer_touches_no_timer_row(migrated_db):
    """Opening without a duration cancels nothing (there is nothing); a round that
    waits for its end or its countdown has exactly that timer, as before."""
    sid, rid = await _session(migrated_db)
    now = dt.datetime.now(dt.UTC)

    def opened(r, st):
        return bo.open_round(r, st.placement, plenary_id=st.plenary_id, now=now)[0]

    sql = await _save(migrated_db, sid, rid, opened)
    assert sql and not [q for q in sql if "timers" in q], sql
    assert await _timers(migrated_db, rid) == []

    sql = await _save(migrated_db, sid, rid, lambda r, st: bo.extend_round(r, 600, now=now)[0])
    assert await _timers(migrated_db, rid) == [("breakout.end", now + dt.timedelta(seconds=600))]
    sql = await _save(migrated_db, sid, rid, lambda r, st: bo.begin_close(r, now=now)[0])
    (closing,) = await _timers(migrated_db, rid)
    assert closing[0] == "breakout.finish"
    sql = await _save(migrated_db, sid, rid, lambda r, st: bo.cancel_close(r, now=now)[0])
    assert [k for k, _ in await _timers(migrated_db, rid)] == ["breakout.end"]
    sql = await _save(migrated_db, sid, rid, lambda r, st: bo.begin_close(r, now=now)[0])
    sql = await _save(
        migrated_db,
        sid,
        rid,
        lambda r, st: bo.finish_close(r, st.placement, plenary_id=st.plenary_id, now=now)[0],
    )
    assert [q for q in sql if "timers" in q]  # the countdown's timer is cancelled
    assert await _timers(migrated_db, rid) == []


async def test_a_round_planned_from_the_live_rounds_alone_comes_after_every_earlier_one(
    migrated_db,
):
    """Planning a round reads the live rounds only (a long session's finished rounds,
    each with its plan of everyone and its rooms, cost a planning ~25 ms after forty
    rounds); the new round is still numbered after all of them, so rounds list in the
    order they were made."""
    sid, rid = await _session(migrated_db)
    async with migrated_db.write() as tx:
        s = await tx.get(Session, sid)
        for new_id in ("new-round", "another"):
            st = await load(tx, s, new_id, people=False)  # what planning loads
            assert rid not in st.rows  # not live: not read
            new = bo.create_round(
                round_id=new_id,
                session_id=sid,
                strategy="manual",
                members=[],
                event_languages=["en"],
                floor_language="en",
                now=T0,
                count=1,
            )[0]
            await save_round(tx, st, new)
    async with migrated_db.read() as tx:
        numbers = (
            await tx.exec(
                select(BreakoutRound.id, BreakoutRound.number)
                .where(BreakoutRound.session_id == sid)
                .order_by(BreakoutRound.number)
            )
        ).all()
    assert numbers == [(rid, 1), ("new-round", 2), ("another", 3)]
