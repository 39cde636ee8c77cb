"""The one place that assigns ``seq`` and stores events.

Every command locks its session row first (``SELECT ... FOR UPDATE``; on SQLite the
write transaction already holds the lock) and takes ``seq`` from the counter on that
row, so two processes never produce a gap or a duplicate, and commit order equals
seq order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from . import errors
from .events import EventData
from .models import EventRecord, Session, utcnow

SESSION = "session"
MODERATORS = "moderators"


def room(room_id: str) -> str:
    return f"room:{room_id}"


def person(person_id: str) -> str:
    return f"person:{person_id}"


def channel(room_id: str, language: str) -> str:
    return f"channel:{room_id}:{language}"


async def lock_session(tx: AsyncSession, session_id: str) -> Session:
    row = (await tx.exec(select(Session).where(Session.id == session_id).with_for_update())).first()
    if row is None:
        raise errors.NotFound(f"session {session_id} does not exist")
    return row


class EventLog:
    """Appends events for one locked session inside one transaction."""

    def __init__(self, tx: AsyncSession, session: Session, by: str | None):
        self.tx = tx
        self.session = session
        self.by = by
        self.records: list[EventRecord] = []

    def emit(
        self,
        data: EventData,
        audience: Iterable[str],
        *,
        by: str | None | type[Ellipsis] = ...,
        at: dt.datetime | None = None,
    ) -> EventRecord:
        self.session.seq += 1
        rec = EventRecord(
            session_id=self.session.id,
            seq=self.session.seq,
            type=data.type,
            audience=sorted(set(audience)),
            by=self.by if by is ... else by,
            data=data.model_dump(mode="json", by_alias=True),
            at=at or utcnow(),
        )
        self.tx.add(rec)
        self.tx.add(self.session)
        self.records.append(rec)
        return rec

    @property
    def last_seq(self) -> int:
        return self.session.seq


async def read_after(
    tx: AsyncSession, session_id: str, after: int, upto: int | None = None, limit: int = 5000
) -> Sequence[EventRecord]:
    q = select(EventRecord).where(EventRecord.session_id == session_id, EventRecord.seq > after)
    if upto is not None:
        q = q.where(EventRecord.seq <= upto)
    q = q.order_by(EventRecord.seq).limit(limit)
    return list((await tx.exec(q)).all())


async def prune(tx: AsyncSession, session: Session, keep_events: int, keep_hours: float) -> int:
    """Drop events older than both limits; ``log_floor`` records the last dropped seq."""
    cutoff_seq = session.seq - keep_events
    if cutoff_seq <= session.log_floor:
        return 0
    cutoff_at = utcnow() - dt.timedelta(hours=keep_hours)
    old = (
        await tx.exec(
            select(EventRecord.seq)
            .where(
                EventRecord.session_id == session.id,
                EventRecord.seq <= cutoff_seq,
                EventRecord.at < cutoff_at,
            )
            .order_by(EventRecord.seq.desc())
            .limit(1)
        )
    ).first()
    if old is None:
        return 0
    floor = old if isinstance(old, int) else old[0]
    result = await tx.exec(
        delete(EventRecord).where(EventRecord.session_id == session.id, EventRecord.seq <= floor)
    )
    session.log_floor = floor
    tx.add(session)
    return result.rowcount or 0
