"""Who is in a room, told at a room's scale: each arrival and departure while the room
has at most ``large_room`` people, and for a larger room at most one
``presence.changed`` a second (its news rows gathered until a timer tells the room),
naming at most ``large_room`` of the arrivals and departures it counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, event, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import bulk
from .. import eventlog as el
from ..events import PresenceChanged, PresenceJoined, PresenceLeft
from ..models import Placement, PresenceLease, PresenceNews, Room, Session, Timer, utcnow
from ..timers import set_timer

NEWS_KIND = "presence.changed"
NEWS_GAP = dt.timedelta(seconds=1)  # at most one presence.changed a second per room


async def room_size(tx: AsyncSession, session_id: str, room_id: str) -> int:
    q = (
        select(func.count())
        .select_from(Placement)
        .where(Placement.session_id == session_id, Placement.room_id == room_id)
    )
    return int((await tx.exec(q)).one())


_NEWS = PresenceNews.__table__


def _news_upserts() -> dict:
    """Per dialect: one news row per (session, room, person), the latest change wins."""
    out = {}
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql)):
        stmt = dialect.insert(_NEWS)
        out[name] = stmt.on_conflict_do_update(
            index_elements=[_NEWS.c.session_id, _NEWS.c.room_id, _NEWS.c.person_id],
            set_={"change": stmt.excluded.change},
        )
    return out


_NEWS_UPSERT = _news_upserts()


class Memo:
    """What one presence transaction has read already (room sizes, rooms of the
    session, rooms whose ``presence.changed`` is due) and the news it gathers, so that
    a batch of arrivals costs a few statements in all rather than a few per person.

    The news rows go in one upsert when the transaction commits: an ORM object per
    arrival, each flushed by the next query (a room look-up, the next person's), was
    three statements and ~1 ms of CPU per returning arrival on SQLite (issue 19)."""

    def __init__(self, tx: AsyncSession, session_id: str):
        self.tx, self.session_id = tx, session_id
        self.sizes: dict[str, int] = {}
        self.rooms: dict[str, bool] = {}
        self.news: dict[tuple[str, str], str] = {}  # (room, person) -> change
        self.due: set[str] = set()

    async def is_room_here(self, room_id: str) -> bool:
        """Whether ``room_id`` is a room of this session (read once per transaction)."""
        if room_id not in self.rooms:
            room = await self.tx.get(Room, room_id)
            self.rooms[room_id] = room is not None and room.session_id == self.session_id
        return self.rooms[room_id]

    async def size(self, room_id: str) -> int:
        if room_id not in self.sizes:
            self.sizes[room_id] = await room_size(self.tx, self.session_id, room_id)
        return self.sizes[room_id]

    def moved(self, from_room: str | None, to_room: str | None) -> None:
        for rid, step in ((from_room, -1), (to_room, 1)):
            if rid in self.sizes:
                self.sizes[rid] += step

    def tell_later(self, room_id: str, person_id: str, change: str) -> None:
        """News for the room's next ``presence.changed``, stored when ``tx`` commits."""
        if not self.news:
            event.listen(self.tx.sync_session, "before_commit", self._store, once=True)
        self.news[(room_id, person_id)] = change

    def _store(self, sync_session) -> None:
        conn = sync_session.connection()
        rows = [
            {"session_id": self.session_id, "room_id": r, "person_id": p, "change": c}
            for (r, p), c in self.news.items()
        ]
        bulk.executemany_sync(conn, _NEWS_UPSERT[conn.dialect.name], rows)


def presence_audience(room_id: str | None) -> list[str]:
    return [el.MODERATORS] + ([el.room(room_id)] if room_id else [])


async def announce(
    memo: Memo,
    s: Session,
    log: el.EventLog,
    person_id: str,
    room_id: str | None,
    change: str,
    by: str | None,
) -> None:
    """Moderators hear of every arrival and departure; a room hears of each one while
    it has at most ``large_room`` people (100 by default), and of a larger room once a
    second at most, as one stored ``presence.changed`` (so 5,000 arrivals are not
    5,000 x 5,000 frames)."""
    kind = PresenceJoined if change == "joined" else PresenceLeft
    news = kind(person_id=person_id, room_id=room_id)
    if room_id is None or await memo.size(room_id) <= log.large_room:
        log.emit(news, presence_audience(room_id), by=by)
        return
    log.emit(news, [el.MODERATORS], by=by)
    memo.tell_later(room_id, person_id, change)
    if room_id in memo.due:
        return
    memo.due.add(room_id)
    target = f"{s.id}:{room_id}"
    timer = (
        await memo.tx.exec(select(Timer).where(Timer.kind == NEWS_KIND, Timer.target == target))
    ).first()
    if timer is not None and timer.done_at is None:
        return  # the room's next presence.changed is already due
    now = utcnow()
    due = max(now, timer.done_at + NEWS_GAP) if timer is not None else now
    await set_timer(memo.tx, NEWS_KIND, target, due, session_id=s.id)


async def online_in(tx: AsyncSession, session_id: str, room_id: str) -> int:
    q = (
        select(func.count(func.distinct(PresenceLease.person_id)))
        .select_from(PresenceLease)
        .join(
            Placement,
            (Placement.session_id == PresenceLease.session_id)
            & (Placement.person_id == PresenceLease.person_id),
        )
        .where(
            PresenceLease.session_id == session_id,
            Placement.room_id == room_id,
        )
    )
    return int((await tx.exec(q)).one())


async def tell_room(tx: AsyncSession, s: Session, log: el.EventLog, timer: Timer, late_s) -> None:
    room_id = timer.target.split(":", 1)[1]
    # taken in one statement as plain rows: 5,000 news as ORM objects, then deleted,
    # held the writer ~100 ms of CPU a second after a storm (issue 19)
    rows = (
        await tx.execute(
            delete(_NEWS)
            .where(_NEWS.c.session_id == s.id, _NEWS.c.room_id == room_id)
            .returning(_NEWS.c.person_id, _NEWS.c.change)
        )
    ).all()
    if not rows:
        return
    joined = sorted(pid for pid, change in rows if change == "joined")
    left = sorted(pid for pid, change in rows if change == "left")
    # every member gets this frame: a storm's every id to every member would be
    # members x arrivals ids a second (5,000 people: ~195 MB); the counts stay exact
    log.emit(
        PresenceChanged(
            room_id=room_id,
            joined=joined[: log.large_room],
            left=left[: log.large_room],
            online=await online_in(tx, s.id, room_id),
            joined_count=len(joined),
            left_count=len(left),
        ),
        [el.room(room_id)],
    )
