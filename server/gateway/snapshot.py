"""The first frame: everything the caller may see, as of one seq, read in one
consistent transaction.

A participant's snapshot costs a few aggregate queries whatever the size of the
plenary: member and online counts per room come from ``GROUP BY``, member lists
only for the caller's own room and only up to ``large_room`` people. Moderators
and observers (few) get everyone."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..auth import Caller
from ..models import (
    BreakoutRound,
    Event,
    Person,
    Placement,
    PresenceLease,
    Room,
    Session,
    utcnow,
)
from ..schemas import PersonPublic, SessionPublic, dump

# a feature's part: async (tx, session, event, caller, data, memo) -> None (Wiring.snapshot)
SnapshotPart = Callable[..., Awaitable[None]]


async def online_people(tx: AsyncSession, session_id: str) -> set[str]:
    rows = await tx.exec(
        select(PresenceLease.person_id).where(PresenceLease.session_id == session_id)
    )
    return set(rows.all())


def default_listening(person, event) -> str:
    """Until they choose, people ask for their own language (what they hear of it
    follows from their room's channels: ``snapshot_interpretation``)."""
    return (person.language if person is not None else None) or event.floor_language


async def active_rooms(tx: AsyncSession, s: Session) -> list[Room]:
    """The plenary and the rooms of the round now open (or closing)."""
    active = set(
        (
            await tx.exec(
                select(BreakoutRound.id).where(
                    BreakoutRound.session_id == s.id,
                    BreakoutRound.status.in_(["open", "closing"]),
                )
            )
        ).all()
    )
    rooms = (
        await tx.exec(select(Room).where(Room.session_id == s.id).order_by(Room.position))
    ).all()
    return [r for r in rooms if r.round_id is None or r.round_id in active]


async def _counts(tx: AsyncSession, s: Session, now: dt.datetime):
    members = dict(
        (
            await tx.exec(
                select(Placement.room_id, func.count())
                .where(Placement.session_id == s.id, Placement.room_id.is_not(None))
                .group_by(Placement.room_id)
            )
        ).all()
    )
    online = dict(
        (
            await tx.exec(
                select(Placement.room_id, func.count(func.distinct(PresenceLease.person_id)))
                .join(
                    Placement,
                    (Placement.session_id == PresenceLease.session_id)
                    & (Placement.person_id == PresenceLease.person_id),
                )
                .where(PresenceLease.session_id == s.id)
                .group_by(Placement.room_id)
            )
        ).all()
    )
    return members, online


async def _members_of(tx: AsyncSession, s: Session, room_id: str, limit: int) -> list[str]:
    rows = await tx.exec(
        select(Placement.person_id)
        .where(Placement.session_id == s.id, Placement.room_id == room_id)
        .limit(limit + 1)
    )
    return sorted(rows.all())


def room_view(room: Room, count: int, online: int, members: list[str] | None) -> dict:
    view: dict[str, Any] = {
        "id": room.id,
        "name": room.name,
        "kind": room.kind,
        "languages": room.languages,
        "capacity": room.capacity,
        "floor_language": room.floor_language,
        "round_id": room.round_id,
        "members_count": count,
        "online_count": online,
    }
    if members is not None:
        view["members"] = members
    return view


class SharedParts:
    """What every participant's snapshot at one seq has in common (the session, the
    event, the rooms with their counts, the round, the channels), read once per seq
    and process instead of once per connection: a reconnect storm of 5,000
    participants is then a few hundred reads of the shared part, not 5,000 scans of
    the whole session. ``max_age_s`` bounds what a change that stores no event (an
    event's title) can leave stale."""

    def __init__(self, max_age_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.max_age_s = max_age_s
        self._clock = clock
        # oldest first: a memo past ``max_age_s`` is never used again and is dropped
        self._by_session: dict[str, tuple[int, float, dict]] = {}

    def memo(self, session_id: str, seq: int) -> dict:
        now = self._clock()
        hit = self._by_session.get(session_id)
        if hit is not None and hit[0] == seq and now - hit[1] <= self.max_age_s:
            return hit[2]
        memo: dict = {BUILT: asyncio.get_running_loop().create_future()}
        self._by_session.pop(session_id, None)
        self._by_session[session_id] = (seq, now, memo)
        by_session = self._by_session
        for sid in list(
            itertools.takewhile(lambda s: now - by_session[s][1] > self.max_age_s, by_session)
        ):
            del by_session[sid]
        return memo

    def peek(self, session_id: str, seq: int) -> ReadOnly | None:
        """The memo of exactly ``seq`` if one is kept and fresh, read-only (see
        ``for_caller``)."""
        hit = self._by_session.get(session_id)
        if hit is None or hit[0] != seq or self._clock() - hit[1] > self.max_age_s:
            return None
        return ReadOnly(hit[2])


BUILT = "built"  # a memo's future, done when its first snapshot has read every part


class Miss(Exception):
    """A read-only memo lacks a part: build the snapshot the full way."""


class ReadOnly:
    """A memo whose parts are only taken, never computed (there is no transaction)."""

    def __init__(self, memo: dict):
        self.memo = memo

    async def take(self, key: Any) -> Any:
        """The part, waiting for it when another snapshot of the same seq is reading
        it now (in a reconnect storm most arrivals come while the first one reads)."""
        fut = self.memo.get(key)
        built = self.memo.get(BUILT)
        if fut is None and built is not None and not built.done():
            await asyncio.wait([built])  # the first snapshot of this seq is still reading
            fut = self.memo.get(key)
        if fut is None:
            raise Miss(key)
        if not fut.done():
            await asyncio.wait([fut])
        if fut.cancelled() or fut.exception() is not None:
            raise Miss(key)
        return fut.result()


async def shared_read(
    memo: dict | ReadOnly, key: Any, compute: Callable[[], Awaitable[Any]]
) -> Any:
    """``compute()`` once per memo and key: concurrent snapshots of the same seq wait
    for the first one's read instead of each making it."""
    if isinstance(memo, ReadOnly):
        return await memo.take(key)
    fut = memo.get(key)
    if fut is None:
        fut = memo[key] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())  # never unretrieved
        try:
            fut.set_result(await compute())
        except BaseException as exc:
            memo.pop(key, None)
            fut.set_exception(exc if isinstance(exc, Exception) else RuntimeError("cancelled"))
            raise
    return await asyncio.shield(fut)


async def _session_view(s: Session, ws_base: str) -> dict:
    return dump(
        SessionPublic.model_validate(s).model_copy(
            update={"ws_url": f"{ws_base}/ws/sessions/{s.id}" if ws_base else None}
        )
    )


async def _base(tx: AsyncSession, s: Session, now: dt.datetime) -> dict:
    event = await tx.get(Event, s.event_id)
    rooms = await active_rooms(tx, s)
    counts, online = await _counts(tx, s, now)
    return {"event": event, "rooms": rooms, "counts": counts, "online": online}


async def for_caller(
    db,
    session_id: str,
    caller: Caller,
    large_room: int,
    ws_base: str,
    shared: SharedParts,
    parts: Sequence[SnapshotPart] = (),
) -> dict:
    """The caller's snapshot. A participant costs one statement (the session row and
    their own placement, read together, so both are of one seq) when this process
    holds the shared parts of that seq: in a reconnect storm everyone arriving between
    two presence batches. Anyone else, or on a miss, one consistent read transaction."""
    if not caller.is_staff and caller.person_id is not None:
        async with db.quick() as q:
            row = (
                await q.execute(
                    select(Session, Placement.room_id, Placement.listening)
                    .outerjoin(
                        Placement,
                        (Placement.session_id == Session.id)
                        & (Placement.person_id == caller.person_id),
                    )
                    .where(Session.id == session_id)
                )
            ).first()
        memo = shared.peek(session_id, row[0].seq) if row is not None else None
        if memo is not None:
            try:
                return await build(
                    None,
                    session_id,
                    caller,
                    large_room,
                    ws_base,
                    memo=memo,
                    s=row[0],
                    mine=(row[1], row[2]),
                    parts=parts,
                )
            except Miss:
                pass
    async with db.read() as tx:
        return await build(tx, session_id, caller, large_room, ws_base, shared, parts=parts)


async def build(
    tx: AsyncSession | None,
    session_id: str,
    caller: Caller,
    large_room: int,
    ws_base: str = "",
    shared: SharedParts | None = None,
    *,
    memo: ReadOnly | None = None,
    s: Session | None = None,
    mine: tuple[str | None, str | None] | None = None,
    parts: Sequence[SnapshotPart] = (),
) -> dict:
    """Everything ``caller`` may see as of the session's seq, read through ``tx``; or,
    given a read-only ``memo`` with the session row ``s`` and the caller's ``mine``
    (room, listening) of that seq, without reading at all."""
    now = utcnow()
    if s is None:
        s = await tx.get(Session, session_id)
    staff = caller.is_staff
    if memo is None:  # staff see everyone and are few: always read fresh
        memo = shared.memo(s.id, s.seq) if shared is not None and not staff else {}
    try:
        return await _build(tx, s, caller, large_room, ws_base, memo, mine, now, parts)
    finally:
        built = memo.get(BUILT) if isinstance(memo, dict) else None
        if built is not None and not built.done():
            built.set_result(None)  # waiters re-check; what is still missing is a Miss


async def _build(
    tx, s: Session, caller: Caller, large_room: int, ws_base: str, memo, mine, now, parts
):
    staff = caller.is_staff
    base = await shared_read(memo, "base", lambda: _base(tx, s, now))
    event, rooms = base["event"], base["rooms"]
    counts, online_counts = base["counts"], base["online"]
    if mine is None and caller.person_id:
        att = await tx.get(Placement, (s.id, caller.person_id))
        mine = (att.room_id, att.listening) if att else None
    my_room = mine[0] if mine else None
    by_room: dict[str, list[str]] = {}
    atts: dict[str, Placement] = {}
    if staff:
        atts = {
            a.person_id: a
            for a in (await tx.exec(select(Placement).where(Placement.session_id == s.id))).all()
        }
        for a in atts.values():
            by_room.setdefault(a.room_id, []).append(a.person_id)
    views = []
    for r in rooms:
        count = counts.get(r.id, 0)
        members = None
        if count <= large_room and (staff or r.id == my_room):
            if staff:
                members = sorted(by_room.get(r.id, []))
            else:
                members = await shared_read(
                    memo, ("members", r.id), lambda r=r, c=count: _members_of(tx, s, r.id, c)
                )
        views.append(room_view(r, count, online_counts.get(r.id, 0), members))
    data: dict[str, Any] = {
        "session": await shared_read(memo, "session", lambda: _session_view(s, ws_base)),
        "event": {
            "id": event.id,
            "title": event.title,
            "timezone": event.timezone,
            "floor_language": event.floor_language,
            "interpretation_languages": event.interpretation_languages,
        },
        "server_time": now,
        "you": {
            "person_id": caller.person_id,
            "role": caller.role,
            "room_id": my_room,
            "listening": (mine[1] if mine else None) or default_listening(caller.person, event),
        },
        "rooms": views,
    }
    if staff:
        online = await online_people(tx, s.id)
        people = (await tx.exec(select(Person).where(Person.event_id == s.event_id))).all()
        data["people"] = [
            {
                **dump(PersonPublic.model_validate(p)),
                "room_id": atts[p.id].room_id if p.id in atts else None,
                "online": p.id in online,
            }
            for p in people
        ]
    data["room"] = next((v for v in data["rooms"] if v["id"] == my_room), None)
    data["channel"] = data["you"]["listening"]
    for extend in parts:  # the features' parts (Wiring.snapshot)
        await extend(tx, s, event, caller, data, memo)
    data["seq"] = s.seq
    return data
