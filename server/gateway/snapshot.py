"""The first frame: everything the caller may see, as of one seq, read in one
consistent transaction.

A participant's snapshot costs a few aggregate queries whatever the size of the
plenary: member and online counts per room come from ``GROUP BY``, member lists
only for the caller's own room and only up to ``large_room`` people. Moderators
and observers (few) get everyone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..auth import Caller
from ..models import (
    Attendance,
    BreakoutRound,
    Event,
    Person,
    PresenceLease,
    Room,
    Session,
    utcnow,
)
from ..schemas import PersonPublic, SessionPublic, dump
from . import extensions


async def online_people(tx: AsyncSession, session_id: str, now: dt.datetime) -> set[str]:
    rows = await tx.exec(
        select(PresenceLease.person_id).where(
            PresenceLease.session_id == session_id, PresenceLease.expires_at > now
        )
    )
    return set(rows.all())


def default_listening(person, event) -> str:
    """Until they choose, people hear their own language if the event carries it."""
    langs = {event.floor_language, *event.interpretation_languages}
    if person is not None and person.language in langs:
        return person.language
    return event.floor_language


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
                select(Attendance.room_id, func.count())
                .where(Attendance.session_id == s.id, Attendance.room_id.is_not(None))
                .group_by(Attendance.room_id)
            )
        ).all()
    )
    online = dict(
        (
            await tx.exec(
                select(Attendance.room_id, func.count(func.distinct(PresenceLease.person_id)))
                .join(
                    Attendance,
                    (Attendance.session_id == PresenceLease.session_id)
                    & (Attendance.person_id == PresenceLease.person_id),
                )
                .where(PresenceLease.session_id == s.id, PresenceLease.expires_at > now)
                .group_by(Attendance.room_id)
            )
        ).all()
    )
    return members, online


async def _members_of(tx: AsyncSession, s: Session, room_id: str, limit: int) -> list[str]:
    rows = await tx.exec(
        select(Attendance.person_id)
        .where(Attendance.session_id == s.id, Attendance.room_id == room_id)
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


async def build(
    tx: AsyncSession, session_id: str, caller: Caller, large_room: int, ws_base: str = ""
) -> dict:
    now = utcnow()
    s = await tx.get(Session, session_id)
    event = await tx.get(Event, s.event_id)
    rooms = await active_rooms(tx, s)
    counts, online_counts = await _counts(tx, s, now)
    mine = await tx.get(Attendance, (s.id, caller.person_id)) if caller.person_id else None
    my_room = mine.room_id if mine else None
    staff = caller.is_staff
    by_room: dict[str, list[str]] = {}
    atts: dict[str, Attendance] = {}
    if staff:
        atts = {
            a.person_id: a
            for a in (await tx.exec(select(Attendance).where(Attendance.session_id == s.id))).all()
        }
        for a in atts.values():
            by_room.setdefault(a.room_id, []).append(a.person_id)
    views = []
    for r in rooms:
        count = counts.get(r.id, 0)
        members = None
        if count <= large_room and (staff or r.id == my_room):
            members = (
                sorted(by_room.get(r.id, [])) if staff else await _members_of(tx, s, r.id, count)
            )
        views.append(room_view(r, count, online_counts.get(r.id, 0), members))
    data: dict[str, Any] = {
        "session": dump(
            SessionPublic.model_validate(s).model_copy(
                update={"ws_url": f"{ws_base}/ws/sessions/{s.id}" if ws_base else None}
            )
        ),
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
            "listening": (mine.listening if mine else None)
            or default_listening(caller.person, event),
        },
        "rooms": views,
    }
    if staff:
        online = await online_people(tx, s.id, now)
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
    for extend in extensions.SNAPSHOT:
        await extend(tx, s, event, caller, data)
    data["seq"] = s.seq
    return data
