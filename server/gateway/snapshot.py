"""The first frame: everything the caller may see, as of one seq, read in one
consistent transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..auth import Caller
from ..models import Attendance, BreakoutRound, Event, Person, PresenceLease, Room, Session, utcnow
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


def room_view(room: Room, members: list[str], online: set[str], show: bool, large: int) -> dict:
    view: dict[str, Any] = {
        "id": room.id,
        "name": room.name,
        "kind": room.kind,
        "languages": room.languages,
        "capacity": room.capacity,
        "floor_language": room.floor_language,
        "round_id": room.round_id,
        "members_count": len(members),
        "online_count": sum(1 for m in members if m in online),
    }
    if show and len(members) <= large:
        view["members"] = sorted(members)
    return view


async def build(
    tx: AsyncSession, session_id: str, caller: Caller, large_room: int, ws_base: str = ""
) -> dict:
    now = utcnow()
    s = await tx.get(Session, session_id)
    event = await tx.get(Event, s.event_id)
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
    rooms = [
        r
        for r in (
            await tx.exec(select(Room).where(Room.session_id == s.id).order_by(Room.position))
        ).all()
        if r.round_id is None or r.round_id in active
    ]
    atts = {
        a.person_id: a
        for a in (await tx.exec(select(Attendance).where(Attendance.session_id == s.id))).all()
    }
    online = await online_people(tx, s.id, now)
    members: dict[str, list[str]] = {r.id: [] for r in rooms}
    for a in atts.values():
        if a.room_id in members:
            members[a.room_id].append(a.person_id)
    mine = atts.get(caller.person_id) if caller.person_id else None
    my_room = mine.room_id if mine else None
    staff = caller.is_staff
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
        "rooms": [
            room_view(r, members[r.id], online, staff or r.id == my_room, large_room) for r in rooms
        ],
    }
    if staff:
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
