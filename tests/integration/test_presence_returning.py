"""People returning to a crowded plenary (issue 19): after a reconnect storm their
arrivals are stored behind their snapshots while the session serves broadcasts, so a
batch of them must cost the same few statements however many it holds, and what the
room and the moderators hear is unchanged: each arrival for the moderators, one
``presence.changed`` for the room with exact counts and capped lists, the latest
change of a person winning. In-process on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event
from sqlmodel import select

from server import features
from server.broker import MemoryBroker
from server.commands import Commands
from server.db import Database
from server.models import Person, PresenceNews, Timer
from server.services import presence, presence_news
from tests.support.live_session import live_session

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    # the followers read plain rows with ``execute`` (no ORM objects), which SQLModel warns of
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]

START = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)
LARGE = 100  # the default large_room
CROWD = 160
PRESENCE = ("presence.joined", "presence.left")


async def _crowd(db: Database) -> tuple[str, str, list[Person]]:
    """A live session whose plenary holds CROWD participants, placed once and gone
    again (so each is a returning person with a room)."""
    cast = await live_session(db, CROWD, start=START)
    return cast.sid, cast.rooms["Plenary"], cast.people


def _lease(tag: str, person: Person) -> str:
    """The lease id of ``person``'s connection ``tag`` (ids are at most 36 characters)."""
    return f"{tag}-{person.name}"


def _commands(db: Database) -> Commands:
    return Commands(db, MemoryBroker(), features.wire(features.INSTALLED), large_room=LARGE)


async def _tell(cmds: Commands, sid: str) -> list:
    """Fire the room's pending presence.changed timer now; the events it stored."""
    async with cmds.db.read() as tx:
        (timer,) = (
            await tx.exec(
                select(Timer).where(Timer.kind == presence_news.NEWS_KIND, Timer.done_at.is_(None))
            )
        ).all()
    stored = []

    async def work(tx, s, log):
        await presence_news.tell_room(tx, s, log, timer, 0)
        stored.extend(log.records)

    await cmds.run(sid, work, by=None)
    return stored


async def _gone_and_told(cmds: Commands, sid: str, people: list[Person], tag: str) -> None:
    """Everyone arrives and leaves again; the room hears of it."""
    await presence.join_many(cmds, sid, [(p, _lease(tag, p)) for p in people], "i", 30)
    await presence.leave_many(cmds, sid, [(p.id, _lease(tag, p)) for p in people])
    await _tell(cmds, sid)


def _count_statements(db: Database) -> list[int]:
    seen = [0]

    def count(*args):
        seen[0] += 1

    event.listen(db.writer.sync_engine, "before_cursor_execute", count)
    return seen


async def test_a_batch_of_returning_arrivals_costs_the_same_few_statements_at_any_size(migrated_db):
    sid, _, people = await _crowd(migrated_db)
    cmds = _commands(migrated_db)
    await _gone_and_told(cmds, sid, people, "first")
    seen = _count_statements(migrated_db)
    small, large = people[:20], people[20:140]
    costs = []
    for batch in (small, large):
        before = seen[0]
        await presence.join_many(cmds, sid, [(p, _lease("back", p)) for p in batch], "i", 30)
        costs.append(seen[0] - before)
    # a statement or more per arrival made 120 returning people ~400 statements
    assert costs[1] <= costs[0] + 2, costs


async def test_returning_people_are_announced_as_before(migrated_db):
    sid, plenary, people = await _crowd(migrated_db)
    cmds = _commands(migrated_db)
    await _gone_and_told(cmds, sid, people, "first")
    stored = []
    cmds.handoff.append(lambda session_id, records: stored.extend(records))

    back = people[:150]
    for lo in range(0, len(back), 25):  # the late arrivals' batches
        part = back[lo : lo + 25]
        await presence.join_many(cmds, sid, [(p, _lease("back", p)) for p in part], "i", 30)
    # one of them goes again, one opens a second tab: the latest change wins
    await presence.leave_many(cmds, sid, [(back[0].id, _lease("back", back[0]))])
    await presence.join_many(cmds, sid, [(back[1], "second-tab")], "i", 30)
    told = await _tell(cmds, sid)

    heard = [(r.type, r.data["person_id"], r.audience) for r in stored if r.type in PRESENCE]
    moderators = ["moderators"]
    assert heard == [("presence.joined", p.id, moderators) for p in back] + [
        ("presence.left", back[0].id, moderators)
    ]
    (changed,) = [r for r in told if r.type == "presence.changed"]
    assert changed.audience == [f"room:{plenary}"]
    data = changed.data
    assert data["room_id"] == plenary
    assert data["online"] == 149
    assert (data["joined_count"], data["left_count"]) == (149, 1)
    assert data["left"] == [back[0].id]
    assert data["joined"] == sorted(p.id for p in back[1:])[:LARGE]
    async with migrated_db.read() as tx:
        assert (await tx.exec(select(PresenceNews))).all() == []  # told once
