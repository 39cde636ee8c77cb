"""Who is in a room, told at a room's scale: each arrival and departure while the room
has at most ``large_room`` people, and for a larger room at most one
``presence.changed`` a second (its news rows gathered until a timer tells the room),
naming at most ``large_room`` of the arrivals and departures it counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import eventlog as el
from ..events import PresenceChanged, PresenceJoined, PresenceLeft
from ..models import Placement, PresenceLease, PresenceNews, Session, Timer, utcnow
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


class Memo:
    """What one presence transaction has read already (room sizes, pending news per
    room, rooms whose ``presence.changed`` is due), so that a batch of arrivals costs
    a few queries in all rather than a few per person."""

    def __init__(self, tx: AsyncSession, session_id: str):
        self.tx, self.session_id = tx, session_id
        self.sizes: dict[str, int] = {}
        self.news: dict[str, dict[str, PresenceNews]] = {}
        self.due: set[str] = set()

    async def size(self, room_id: str) -> int:
        if room_id not in self.sizes:
            self.sizes[room_id] = await room_size(self.tx, self.session_id, room_id)
        return self.sizes[room_id]

    def moved(self, from_room: str | None, to_room: str | None) -> None:
        for rid, step in ((from_room, -1), (to_room, 1)):
            if rid in self.sizes:
                self.sizes[rid] += step

    async def news_of(self, room_id: str) -> dict[str, PresenceNews]:
        if room_id not in self.news:
            rows = await self.tx.exec(
                select(PresenceNews).where(
                    PresenceNews.session_id == self.session_id, PresenceNews.room_id == room_id
                )
            )
            self.news[room_id] = {r.person_id: r for r in rows.all()}
        return self.news[room_id]


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
    event = kind(person_id=person_id, room_id=room_id)
    if room_id is None or await memo.size(room_id) <= log.large_room:
        log.emit(event, presence_audience(room_id), by=by)
        return
    log.emit(event, [el.MODERATORS], by=by)
    news = await memo.news_of(room_id)
    if person_id in news:
        news[person_id].change = change
    else:
        news[person_id] = PresenceNews(
            session_id=s.id, room_id=room_id, person_id=person_id, change=change
        )
    memo.tx.add(news[person_id])
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


async def online_in(tx: AsyncSession, session_id: str, room_id: str, now: dt.datetime) -> int:
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
            PresenceLease.expires_at > now,
        )
    )
    return int((await tx.exec(q)).one())


async def tell_room(tx: AsyncSession, s: Session, log: el.EventLog, timer: Timer, late_s) -> None:
    room_id = timer.target.split(":", 1)[1]
    rows = list(
        (
            await tx.exec(
                select(PresenceNews).where(
                    PresenceNews.session_id == s.id, PresenceNews.room_id == room_id
                )
            )
        ).all()
    )
    if not rows:
        return
    await tx.exec(
        delete(PresenceNews).where(PresenceNews.session_id == s.id, PresenceNews.room_id == room_id)
    )
    joined = sorted(r.person_id for r in rows if r.change == "joined")
    left = sorted(r.person_id for r in rows if r.change == "left")
    # every member gets this frame: a storm's every id to every member would be
    # members x arrivals ids a second (5,000 people: ~195 MB); the counts stay exact
    log.emit(
        PresenceChanged(
            room_id=room_id,
            joined=joined[: log.large_room],
            left=left[: log.large_room],
            online=await online_in(tx, s.id, room_id, utcnow()),
            joined_count=len(joined),
            left_count=len(left),
        ),
        [el.room(room_id)],
    )
