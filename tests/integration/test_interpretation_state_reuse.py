"""A session's interpretation state is read as text and reused when it is the text
this process stored (issue 19): not parsed again then; any other text (another
process's write, a rolled-back transaction's) is parsed, on both databases."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

import interpretation as ip
from interpretation import commands as cmd
from interpretation import serialization
from server.models import Event, Person, Placement, Room, Session
from server.services import interpretation_state as ist

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]

T0 = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)


async def _session(db) -> tuple[str, list[str]]:
    ev = Event(title="Assembly", timezone="UTC", floor_language="en")
    ev.interpretation_languages = ["fr"]
    async with db.write() as tx:
        tx.add(ev)
        await tx.flush()
        s = Session(
            event_id=ev.id,
            title="Plenary",
            start=T0,
            end=T0 + dt.timedelta(hours=2),
            timezone="UTC",
            status="live",
        )
        plenary = Room(session_id=s.id, name="P", kind="plenary")
        s.plenary_room_id = plenary.id
        tx.add(s)
        await tx.flush()
        people = [
            Person(
                event_id=ev.id,
                name=f"P{i}",
                role="participant",
                token_hash=f"h{i}",
                language="fr" if i % 2 else "en",
            )
            for i in range(6)
        ]
        tx.add_all([plenary, *people])
        await tx.flush()
        tx.add_all(Placement(session_id=s.id, person_id=p.id, room_id=plenary.id) for p in people)
    return s.id, [p.id for p in people]


async def _write_text(db, sid: str, body: str) -> None:
    """Another writer's state row: the same JSON value class, other text."""
    async with db.write() as tx:
        cast = "CAST(:t AS JSON)" if db.writer.dialect.name == "postgresql" else ":t"
        await tx.exec(
            text(
                f"UPDATE interpretation_states SET state = {cast} WHERE session_id = :s"
            ).bindparams(t=body, s=sid)
        )


async def _load(db, sid: str):
    async with db.read() as tx:
        return (await ist.load(tx, await tx.get(Session, sid))).state


async def test_the_stored_text_is_reused_and_any_other_is_parsed(migrated_db, monkeypatch):
    sid, people = await _session(migrated_db)
    async with migrated_db.write() as tx:
        lo = await ist.load(tx, await tx.get(Session, sid))
        await ist.save(tx, lo)
    stored = lo.state
    parsed = []
    real = serialization.from_dict
    monkeypatch.setattr(serialization, "from_dict", lambda d: parsed.append(d) or real(d))

    assert await _load(migrated_db, sid) == stored
    assert parsed == []  # as this process stored it: not parsed

    # another process stored another state (and in its own formatting)
    other = ip.apply(stored, cmd.ConnectionChanged(people[1], True), T0).state
    assert other != stored
    await _write_text(migrated_db, sid, json.dumps(serialization.to_dict(other), indent=1))
    assert await _load(migrated_db, sid) == other
    assert len(parsed) == 1

    # the same state in other text: parsed, and equal
    await _write_text(migrated_db, sid, json.dumps(serialization.to_dict(stored), indent=2))
    assert await _load(migrated_db, sid) == stored
    assert len(parsed) == 2

    # a state saved by a transaction that rolled back is not taken for the row's
    with pytest.raises(RuntimeError):
        async with migrated_db.write() as tx:
            lo = await ist.load(tx, await tx.get(Session, sid))
            lo.state = other
            await ist.save(tx, lo)
            raise RuntimeError("rolled back")
    assert await _load(migrated_db, sid) == stored
    assert len(parsed) == 4  # the rolled-back one's load, and this one
