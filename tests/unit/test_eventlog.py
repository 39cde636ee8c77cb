"""The seq allocator (``server.eventlog``) on a real SQLite file and a real PostgreSQL
database: seqs follow the session's counter with no gap, the audience is stored as
given, nothing is published before the transaction commits, and a rolled-back
transaction leaves the counter where it was."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from pydantic import ValidationError
from sqlmodel import select

import breakouts.events as bo_events
from server import errors
from server import eventlog as el
from server.broker import Broker, Handler
from server.commands import Commands
from server.db import Database
from server.eventlog import EventLog, lock_session, read_after
from server.events import BroadcastMessage, RoomMoved, SessionStatus
from server.migrate import upgrade
from server.models import Event, EventRecord, Session
from server.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

START = dt.datetime(2021, 8, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    """A migrated database of this module's own on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('eventlog')}/eventlog.db"
        upgrade(url)
        yield url
        return
    import psycopg

    pg_url = request.getfixturevalue("pg_url")
    admin = pg_url.rsplit("/", 1)[0] + "/postgres"
    name = f"convene_eventlog_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(db_url):
    database = Database(db_url)
    yield database
    await database.close()


async def _new_session(db: Database, seq: int = 0) -> str:
    """An event with one session whose counter stands at ``seq``."""
    event = Event(title="Kick-off", timezone="Europe/Berlin", floor_language="en")
    async with db.write() as tx:
        tx.add(event)
        await tx.flush()
        s = Session(
            event_id=event.id,
            title="Kick-off plenary",
            start=START,
            end=START + dt.timedelta(hours=2),
            timezone="Europe/Berlin",
            seq=seq,
        )
        tx.add(s)
    return s.id


async def _counter(db: Database, sid: str) -> int:
    async with db.read() as tx:
        return (await tx.exec(select(Session.seq).where(Session.id == sid))).one()


async def _stored(db: Database, sid: str) -> list[EventRecord]:
    async with db.read() as tx:
        return list(await read_after(tx, sid, 0))


class WatchingBroker(Broker):
    """A real broker backend for this test: on every publish it reads the log in a
    transaction of its own, so it records what other processes could see then."""

    def __init__(self, db: Database, sid: str):
        self.db, self.sid = db, sid
        self.published: list[tuple[str, int, list[int]]] = []

    async def start(self, handler: Handler) -> None:
        pass

    async def publish(self, session_id: str, seq: int) -> None:
        visible = [r.seq for r in await _stored(self.db, self.sid)]
        self.published.append((session_id, seq, visible))

    async def stop(self) -> None:
        pass


async def test_seqs_follow_the_session_counter(db):
    sid = await _new_session(db, seq=7)
    async with db.write() as tx:
        s = await lock_session(tx, sid)
        log = EventLog(tx, s, by="mod-1", large_room=100)
        recs = [log.emit(BroadcastMessage(text=f"m{i}"), [el.SESSION]) for i in range(3)]
        assert [r.seq for r in recs] == [8, 9, 10] and log.last_seq == 10
    assert await _counter(db, sid) == 10
    stored = await _stored(db, sid)
    assert [(r.seq, r.type, r.by, r.data["text"]) for r in stored] == [
        (8, "broadcast.message", "mod-1", "m0"),
        (9, "broadcast.message", "mod-1", "m1"),
        (10, "broadcast.message", "mod-1", "m2"),
    ]
    # the next transaction continues from the stored counter
    async with db.write() as tx:
        log = EventLog(tx, await lock_session(tx, sid), by=None, large_room=100)
        assert log.emit(BroadcastMessage(text="next"), [el.SESSION]).seq == 11
    assert [r.seq for r in await _stored(db, sid)] == [8, 9, 10, 11]


async def test_audience_by_and_at_are_stored(db):
    sid = await _new_session(db)
    at = dt.datetime(2021, 8, 31, 12, 5, 0, 123000, tzinfo=dt.UTC)
    async with db.write() as tx:
        log = EventLog(tx, await lock_session(tx, sid), by="mod-1", large_room=100)
        log.emit(
            BroadcastMessage(text="to the room", translations={"ar": "إلى الغرفة"}),
            [el.room("r1"), el.MODERATORS, el.room("r1"), el.channel("r1", "ar")],
        )
        log.emit(
            SessionStatus(status="live", previous="lobby"),
            [el.person("p1")],
            by=None,
            at=at,
        )
    first, second = await _stored(db, sid)
    assert first.audience == ["channel:r1:ar", "moderators", "room:r1"]  # once each, sorted
    assert first.by == "mod-1"
    assert first.data == {
        "text": "to the room",
        "translations": {"ar": "إلى الغرفة"},
        "language": None,
    }
    assert second.audience == ["person:p1"]
    assert second.by is None  # a timer's event has no author
    assert second.at == at
    assert second.data == {"status": "live", "previous": "lobby", "late_s": None}


async def test_nothing_is_published_before_commit(db):
    sid = await _new_session(db)
    broker = WatchingBroker(db, sid)
    commands = Commands(db, broker)
    seen_inside: list[list[int]] = []

    async def work(tx, s, log):
        log.emit(BroadcastMessage(text="one"), [el.SESSION])
        log.emit(BroadcastMessage(text="two"), [el.SESSION])
        await tx.flush()  # the rows are in the database, uncommitted
        seen_inside.append([r.seq for r in await _stored(db, sid)])
        assert broker.published == []
        return "done"

    assert await commands.run(sid, work, by="mod-1") == "done"
    assert seen_inside == [[]]  # other transactions did not see them before commit
    # published once, with the last seq, and by then everyone can read both events
    assert broker.published == [(sid, 2, [1, 2])]


async def test_a_command_without_events_publishes_nothing(db):
    sid = await _new_session(db, seq=3)
    broker = WatchingBroker(db, sid)

    async def work(tx, s, log):
        return None

    await Commands(db, broker).run(sid, work, by=None)
    assert broker.published == [] and await _counter(db, sid) == 3


async def test_rollback_leaves_the_counter_unchanged(db):
    sid = await _new_session(db, seq=4)
    broker = WatchingBroker(db, sid)
    commands = Commands(db, broker)

    async def refused(tx, s, log):
        log.emit(BroadcastMessage(text="lost"), [el.SESSION])
        log.emit(BroadcastMessage(text="lost too"), [el.SESSION])
        await tx.flush()
        assert s.seq == 6
        raise errors.Conflict("the session is ended")

    with pytest.raises(errors.Conflict):
        await commands.run(sid, refused, by="mod-1")
    assert broker.published == []
    assert await _counter(db, sid) == 4
    assert await _stored(db, sid) == []

    # the next command takes the seq the rolled-back one had taken: no gap
    async def kept(tx, s, log):
        log.emit(BroadcastMessage(text="kept"), [el.SESSION])

    await commands.run(sid, kept, by="mod-1")
    assert [(r.seq, r.data["text"]) for r in await _stored(db, sid)] == [(5, "kept")]
    assert broker.published == [(sid, 5, [5])]


async def test_concurrent_transactions_take_distinct_consecutive_seqs(db):
    """The row lock (FOR UPDATE on PostgreSQL, the write lock on SQLite) serialises
    commands on one session: 20 at once leave 1..40 with no gap or duplicate."""
    sid = await _new_session(db)
    commands = Commands(db, WatchingBroker(db, sid))

    async def work(tx, s, log):
        first = log.emit(BroadcastMessage(text="a"), [el.SESSION])
        await tx.flush()  # real I/O: the other commands run meanwhile
        second = log.emit(BroadcastMessage(text="b"), [el.SESSION])
        return first.seq, second.seq

    pairs = await asyncio.gather(*(commands.run(sid, work, by=None) for _ in range(20)))
    assert all(b == a + 1 for a, b in pairs)  # one command's events are adjacent
    assert sorted(s for pair in pairs for s in pair) == list(range(1, 41))
    assert [r.seq for r in await _stored(db, sid)] == list(range(1, 41))
    assert await _counter(db, sid) == 40


async def test_an_unknown_session_is_404(db):
    async with db.write() as tx:
        with pytest.raises(errors.NotFound):
            await lock_session(tx, str(uuid.uuid4()))


# ---- events the domain generated (issue 19) ----------------------------------------------


async def test_the_suite_validates_domain_events():
    """tests/conftest.py turns ``CONVENE_VALIDATE_EVENTS`` on for every app and server
    the suite starts; production leaves it off."""
    assert Settings().validate_events is True
    assert Settings.model_fields["validate_events"].default is False


async def test_an_invalid_domain_event_is_refused_when_validating(db):
    sid = await _new_session(db)
    bad = {"person_id": 42, "from_room": None, "to_room": "r1"}  # an id must be text
    with pytest.raises(ValidationError):
        async with db.write() as tx:
            log = EventLog(tx, await lock_session(tx, sid), by=None, large_room=100, validate=True)
            log.emit_domain("room.moved", bad, [el.person("p1")])
    assert await _stored(db, sid) == [] and await _counter(db, sid) == 0


@pytest.mark.parametrize("validate", [True, False])
async def test_domain_events_are_stored_alike_validated_or_trusted(db, validate):
    """Production stores the domain's events without validating them: the row, the
    typed event the followers match on, and the payload are what validation gives."""
    sid = await _new_session(db)
    moved = bo_events.RoomMoved.make("p1", "plenary", "r1")
    async with db.write() as tx:
        log = EventLog(
            tx, await lock_session(tx, sid), by="mod-1", large_room=100, validate=validate
        )
        rec = log.emit_domain(moved.type, moved.data() | {"round_id": "k1"}, moved.audience)
        assert isinstance(rec.event, RoomMoved) and rec.event.to_room == "r1"
    (row,) = await _stored(db, sid)
    assert (row.seq, row.type, row.by, row.audience) == (
        1,
        "room.moved",
        "mod-1",
        sorted(moved.audience),
    )
    assert row.data == {
        "person_id": "p1",
        "from_room": "plenary",
        "to_room": "r1",
        "round_id": "k1",
        "channels": None,
    }
