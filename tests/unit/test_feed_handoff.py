"""This process's commits reach its feed in-process (issue 19): the feed sends the
records the command stored instead of reading them back from the log; anything
it was not handed (another process's commits, a handoff that came late) is read from
the log, and every client gets every event once, in seq order. On a real SQLite
database; the multi-process tests cover PostgreSQL + Redis."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from sqlalchemy import event

from server import eventlog as el
from server.auth import Caller
from server.broker import MemoryBroker
from server.commands import Commands
from server.db import Database
from server.events import BroadcastMessage
from server.gateway.connection import Connection
from server.gateway.hub import Hub
from server.migrate import upgrade
from server.models import Event, EventRecord, Person, Session

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    # the gateway reads plain rows with ``execute`` (no ORM objects), which SQLModel warns of
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]

START = dt.datetime(2021, 8, 31, 12, 0, tzinfo=dt.UTC)


class Recorder:
    """A client socket that keeps up: records the seq of every frame it is sent."""

    def __init__(self):
        self.seqs: list[int] = []

    async def send_text(self, text: str) -> None:
        self.seqs.append(orjson.loads(text)["seq"])


@pytest.fixture
async def db(tmp_path):
    url = f"sqlite:///{tmp_path}/handoff.db"
    upgrade(url)
    database = Database(url)
    yield database
    await database.close()


async def _new_session(db: Database) -> str:
    ev = Event(title="Kick-off", timezone="Europe/Berlin", floor_language="en")
    async with db.write() as tx:
        tx.add(ev)
        await tx.flush()
        s = Session(
            event_id=ev.id,
            title="Kick-off plenary",
            start=START,
            end=START + dt.timedelta(hours=2),
            timezone="Europe/Berlin",
        )
        tx.add(s)
    return s.id


def _log_reads(db: Database) -> list[str]:
    """Every statement that reads the event log from now on (the gateway's engines)."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if f"FROM {EventRecord.__tablename__}" in " ".join(statement.split()):
            seen.append(statement)

    for engine in (db.reader, db.autocommit):
        event.listen(engine.sync_engine, "before_cursor_execute", record)
    return seen


def _client(feed_conns: list) -> tuple[Connection, Recorder]:
    person = Person(id="p1", event_id="e", name="n", role="participant", token_hash="h")
    sock = Recorder()
    conn = Connection(
        sock, Caller(person), "c1", room_id=None, listening=None, booths=frozenset(), queue_max=100
    )
    return conn, sock


def _broadcasts(n: int, tag: str):
    async def work(tx, s, log):
        for i in range(n):
            log.emit(BroadcastMessage(text=f"{tag}{i}"), [el.SESSION])

    return work


async def test_own_commits_are_sent_without_reading_them_back(db):
    sid = await _new_session(db)
    hub = Hub(db, poll_interval_s=60)
    commands = Commands(db, MemoryBroker())
    commands.handoff.append(hub.handoff)
    feed = hub.feed(sid, 0)
    conn, sock = _client([])
    await feed.attach(conn, 0)
    reads = _log_reads(db)
    await commands.run(sid, _broadcasts(3, "m"), by=None)
    await feed.pull()
    assert sock.seqs == [1, 2, 3]
    assert reads == []  # the feed sent what the command stored; the log was not read
    assert feed.pending == {} and feed.head == 3


async def test_a_gap_before_handed_records_is_read_from_the_log_in_order(db):
    sid = await _new_session(db)
    hub = Hub(db, poll_interval_s=60)
    here = Commands(db, MemoryBroker())
    here.handoff.append(hub.handoff)
    elsewhere = Commands(db, MemoryBroker())  # another process: nothing handed over
    feed = hub.feed(sid, 0)
    conn, sock = _client([])
    await feed.attach(conn, 0)
    await elsewhere.run(sid, _broadcasts(2, "a"), by=None)
    await here.run(sid, _broadcasts(2, "b"), by=None)
    reads = _log_reads(db)
    await feed.pull()
    assert sock.seqs == [1, 2, 3, 4]  # 1-2 from the log, then 3-4: none lost, none twice
    assert len(reads) == 1 and feed.pending == {}
    # handed over late (after the feed read them): not sent again
    await here.run(sid, _broadcasts(1, "c"), by=None)
    hub.handoff(sid, [])
    await feed.pull()
    assert sock.seqs == [1, 2, 3, 4, 5]
