"""A live session written straight to a migrated ``Database``, for in-process tests
of the services: an event, one session, its rooms (the first is the plenary) and
participants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.db import Database
from server.models import Event, Person, Placement, Room, Session

START = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)  # later than now: nothing grows


@dataclass
class Cast:
    sid: str
    rooms: dict[str, str]  # name -> id; the first is the plenary
    people: list[Person]


async def live_session(
    db: Database,
    people: int,
    *,
    rooms: tuple[str, ...] = ("Plenary",),
    start: dt.datetime = START,
    placed: bool = False,
) -> Cast:
    """``people`` participants P0, P1, ... (token hashes h0, h1, ...); with ``placed``
    each belongs in the plenary."""
    ev = Event(title="Assembly", timezone="UTC", floor_language="en")
    async with db.write() as tx:
        tx.add(ev)
        await tx.flush()
        s = Session(
            event_id=ev.id,
            title="Plenary",
            start=start,
            end=start + dt.timedelta(hours=2),
            timezone="UTC",
            status="live",
        )
        made = {
            name: Room(session_id=s.id, name=name, kind="breakout" if i else "plenary")
            for i, name in enumerate(rooms)
        }
        plenary = made[rooms[0]]
        s.plenary_room_id = plenary.id
        tx.add(s)
        await tx.flush()
        tx.add_all(made.values())
        crowd = [
            Person(event_id=ev.id, name=f"P{i}", role="participant", token_hash=f"h{i}")
            for i in range(people)
        ]
        tx.add_all(crowd)
        if placed:
            await tx.flush()
            tx.add_all(
                Placement(session_id=s.id, person_id=p.id, room_id=plenary.id) for p in crowd
            )
    return Cast(s.id, {k: r.id for k, r in made.items()}, crowd)
