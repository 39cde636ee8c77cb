"""People: created with a token shown once (stored as its SHA-256), re-issued, removed."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import errors
from .. import eventlog as el
from ..auth import Caller, Perm, hash_token, load_event, new_token, require_self_or
from ..commands import Logs
from ..events import PersonRemoved, PersonTokenReissued
from ..models import Person, Placement, PresenceLease, utcnow
from ..schemas import PersonCreate, PersonCreated, PersonUpdate, PersonWithPlace, dump
from ..state import AppState


async def create(state: AppState, caller: Caller, event_id: str, body: PersonCreate):
    token = new_token()
    async with state.db.write() as tx:
        await load_event(tx, caller, event_id, Perm.people_manage)
        person = Person(event_id=event_id, token_hash=hash_token(token), **body.model_dump())
        tx.add(person)
    return PersonCreated(**dump(PersonWithPlace.model_validate(person)), token=token)


async def _person(tx: AsyncSession, event_id: str, person_id: str) -> Person:
    person = await tx.get(Person, person_id)
    if person is None or person.event_id != event_id:
        raise errors.NotFound(f"person {person_id} does not exist in event {event_id}")
    return person


async def with_places(tx: AsyncSession, event_id: str, only: str | None = None):
    """Everyone with the room they belong in now (their latest session) and presence."""
    q = select(Person).where(Person.event_id == event_id).order_by(Person.created_at, Person.id)
    if only:
        q = q.where(Person.id == only)
    people = (await tx.exec(q)).all()
    ids = [p.id for p in people]
    places: dict[str, Placement] = {}
    if ids:
        atts = (await tx.exec(select(Placement).where(Placement.person_id.in_(ids)))).all()
        for a in atts:
            if a.person_id not in places or a.updated_at > places[a.person_id].updated_at:
                places[a.person_id] = a
    online = (
        set(
            (
                await tx.exec(
                    select(PresenceLease.person_id).where(PresenceLease.expires_at > utcnow())
                )
            ).all()
        )
        if ids
        else set()
    )
    out = []
    for p in people:
        a = places.get(p.id)
        out.append(
            PersonWithPlace(
                **dump(PersonWithPlace.model_validate(p))
                | {
                    "room_id": a.room_id if a else None,
                    "session_id": a.session_id if a else None,
                    "online": p.id in online,
                }
            )
        )
    return out


async def get_one(tx: AsyncSession, caller: Caller, event_id: str, person_id: str):
    await _person(tx, event_id, person_id)
    require_self_or(
        caller,
        person_id,
        Perm.people_read,
        "participants and interpreters may only look up themselves",
    )
    return (await with_places(tx, event_id, only=person_id))[0]


async def list_people(state: AppState, caller: Caller, event_id: str):
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.people_read)
        return await with_places(tx, event_id)


async def get_person(state: AppState, caller: Caller, event_id: str, person_id: str):
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.event_read)
        return await get_one(tx, caller, event_id, person_id)


NOT_NULL = ("name", "timezone", "interprets", "groups")  # a person always has these


async def update(
    state: AppState, caller: Caller, event_id: str, person_id: str, body: PersonUpdate
):
    async with state.db.write() as tx:
        await load_event(tx, caller, event_id, Perm.people_manage)
        person = await _person(tx, event_id, person_id)
        changes = body.model_dump(exclude_unset=True)
        nulls = [k for k in NOT_NULL if k in changes and changes[k] is None]
        if nulls:
            raise errors.Invalid(
                f"{', '.join(nulls)} cannot be null: leave a field out to keep its value"
                " (an empty list clears 'interprets' or 'groups')"
            )
        if changes.get("interprets") and person.role != "interpreter":
            raise errors.Invalid("only a person with role 'interpreter' may have 'interprets'")
        for key, value in changes.items():
            setattr(person, key, value)
        tx.add(person)
    return person


async def _places_of(tx: AsyncSession, person_id: str) -> dict[str, str | None]:
    """The sessions the person has been in, each with the room they belong in."""
    rows = await tx.exec(
        select(Placement.session_id, Placement.room_id).where(Placement.person_id == person_id)
    )
    return dict(rows.all())


async def _tell(logs: list[el.EventLog], places: dict, person_id: str, event) -> None:
    """The person, the moderators and the room they belong in, in every session."""
    for log in logs:
        room_id = places.get(log.session.id)
        room = [el.room(room_id)] if room_id else []
        log.emit(event, [el.MODERATORS, el.person(person_id), *room])


async def reissue(state: AppState, caller: Caller, event_id: str, person_id: str):
    """One transaction: the new token and the news to every session of the person, so
    a socket opening with the old one either gets the news or finds its token ended."""
    token = new_token()

    async def work(tx: AsyncSession, logs: Logs) -> Person:
        await load_event(tx, caller, event_id, Perm.people_manage)
        person = await _person(tx, event_id, person_id)
        places = await _places_of(tx, person_id)
        sessions = await logs(places)
        places = await _places_of(tx, person_id)  # their rooms as of the sessions' locks
        person.token_hash = hash_token(token)
        tx.add(person)
        await _tell(sessions, places, person_id, PersonTokenReissued(person_id=person_id))
        return person

    person = await state.commands.run_many(work, by=caller.person_id)
    return PersonCreated(**dump(PersonWithPlace.model_validate(person)), token=token)


async def remove(state: AppState, caller: Caller, event_id: str, person_id: str) -> None:
    """One transaction: every session of the person is told, and they are gone."""

    async def work(tx: AsyncSession, logs: Logs) -> None:
        await load_event(tx, caller, event_id, Perm.people_manage)
        person = await _person(tx, event_id, person_id)
        places = await _places_of(tx, person_id)
        sessions = await logs(places)  # the sessions first: arrivals lock theirs first too
        # waits for arrivals being stored (they hold the row FOR KEY SHARE); later
        # ones then find the person gone
        await tx.exec(select(Person.id).where(Person.id == person_id).with_for_update())
        places = await _places_of(tx, person_id)  # their rooms as of the sessions' locks
        await _tell(sessions, places, person_id, PersonRemoved(person_id=person_id))
        await tx.exec(delete(PresenceLease).where(PresenceLease.person_id == person_id))
        await tx.exec(delete(Placement).where(Placement.person_id == person_id))
        await tx.delete(person)

    await state.commands.run_many(work, by=caller.person_id)
