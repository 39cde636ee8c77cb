"""People: created with a token shown once (stored as its SHA-256), re-issued, removed."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import errors
from .. import eventlog as el
from ..auth import Caller, Perm, hash_token, load_event, new_token, require_self_or
from ..commands import Logs
from ..events import PersonRemoved, PersonTokenReissued, PersonUpdated
from ..joinlinks import join_url
from ..models import Person, Placement, PresenceLease, Session
from ..schemas import (
    LinksRequest,
    PersonCreate,
    PersonCreated,
    PersonUpdate,
    PersonWithPlace,
    dump,
)
from ..state import AppState
from .event_changes import FINAL


async def create(state: AppState, caller: Caller, event_id: str, body: PersonCreate):
    token = new_token()
    async with state.db.write() as tx:
        await load_event(tx, caller, event_id, Perm.people_manage)
        person = Person(event_id=event_id, token_hash=hash_token(token), **body.model_dump())
        tx.add(person)
    return created(state, person, token)


def created(state: AppState, person: Person, token: str) -> PersonCreated:
    """A person with the token just made for them and its join link (shown once)."""
    return PersonCreated(
        **dump(PersonWithPlace.model_validate(person)),
        token=token,
        join_url=join_url(state.settings.public_url, token),
    )


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
    online = set((await tx.exec(select(PresenceLease.person_id))).all()) if ids else set()
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


NOT_NULL = PersonUpdate.NOT_NULL  # a person always has these


async def update(
    state: AppState, caller: Caller, event_id: str, person_id: str, body: PersonUpdate
):
    """One transaction: the person and, when their directions change, every
    running session of the event (``person.updated``, and what followers change)."""

    async def work(tx: AsyncSession, logs: Logs) -> Person:
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
        told = await running_logs(tx, logs, event_id) if booth_changes(person, changes) else []
        apply_changes(person, changes)
        tx.add(person)
        tell_updated(told, [person])
        return person

    person = await state.commands.run_many(work, by=caller.person_id)
    state.tokens.forget(person.id)  # this process's sockets read the new role at once
    return person


def booth_changes(person: Person, changes: dict) -> bool:
    """Whether ``changes`` change the person's directions (a role never changes)."""
    return "interprets" in changes and changes["interprets"] != person.interprets


async def running_logs(tx: AsyncSession, logs: Logs, event_id: str) -> list[el.EventLog]:
    """The logs of the event's sessions that are not over, locked (before any person
    row is changed, in the order arrivals take them)."""
    sessions = await tx.exec(
        select(Session.id).where(Session.event_id == event_id, Session.status.not_in(FINAL))
    )
    return await logs(sessions.all())


def tell_updated(logs: list[el.EventLog], people: list[Person]) -> None:
    """``person.updated`` in each session: the interpretation follower takes their
    directions; their open sockets their booths."""
    for log in logs:
        for p in people:
            data = PersonUpdated(person_id=p.id, role=p.role, interprets=list(p.interprets))
            log.emit(data, [el.MODERATORS, el.person(p.id)])


def apply_changes(person: Person, changes: dict) -> None:
    """What PATCH people does to a person (an import's updated rows do the same)."""
    for key, value in changes.items():
        setattr(person, key, value)


Places = dict[str, dict[str, str | None]]  # session id -> person id -> room id


async def _places_of(tx: AsyncSession, person_ids: list[str]) -> Places:
    """The sessions these people have been in, each with the room each belongs in."""
    rows = await tx.exec(
        select(Placement.session_id, Placement.person_id, Placement.room_id).where(
            Placement.person_id.in_(person_ids)
        )
    )
    out: Places = {}
    for sid, pid, room_id in rows.all():
        out.setdefault(sid, {})[pid] = room_id
    return out


async def _tell(logs: list[el.EventLog], places: Places, event_of) -> None:
    """Each person, the moderators and the room the person belongs in, in every
    session of theirs."""
    for log in logs:
        for pid, room_id in sorted(places.get(log.session.id, {}).items()):
            room = [el.room(room_id)] if room_id else []
            log.emit(event_of(pid), [el.MODERATORS, el.person(pid), *room])


async def reissue(state: AppState, caller: Caller, event_id: str, person_id: str):
    return (await reissue_links(state, caller, event_id, LinksRequest(person_ids=[person_id])))[0]


async def reissue_links(
    state: AppState, caller: Caller, event_id: str, body: LinksRequest
) -> list[PersonCreated]:
    """New tokens for the people listed and the people of the roles named; their old
    links end at once. Observers only when named; the caller only when listed. One
    transaction: the new tokens and the news to every session of those people, so a
    socket opening with an old one either gets the news or finds its token ended."""
    tokens: dict[str, str] = {}

    async def work(tx: AsyncSession, logs: Logs) -> list[Person]:
        await load_event(tx, caller, event_id, Perm.people_manage)
        if body.person_ids is None and body.roles is None:
            raise errors.Invalid(
                "say whose links to re-issue: 'person_ids', 'roles' (e.g. [\"participant\"]), "
                "or both"
            )
        listed = list(dict.fromkeys(body.person_ids or []))
        q = select(Person).where(Person.event_id == event_id).order_by(Person.created_at, Person.id)
        people = list((await tx.exec(q)).all())
        known = {p.id for p in people}
        missing = [pid for pid in listed if pid not in known]
        if missing:
            raise errors.NotFound(f"person {missing[0]} does not exist in event {event_id}")
        roles = set(body.roles or [])
        chosen = [
            p for p in people if p.id in listed or (p.role in roles and p.id != caller.person_id)
        ]
        ids = [p.id for p in chosen]
        sessions = await logs(await _places_of(tx, ids)) if ids else []
        places = await _places_of(tx, ids) if ids else {}  # as of the sessions' locks
        for p in chosen:
            tokens[p.id] = new_token()
            p.token_hash = hash_token(tokens[p.id])
            tx.add(p)
        await _tell(sessions, places, lambda pid: PersonTokenReissued(person_id=pid))
        return chosen

    chosen = await state.commands.run_many(work, by=caller.person_id)
    for p in chosen:  # old tokens leave this process's socket cache at once
        state.tokens.forget(p.id)
    return [created(state, p, tokens[p.id]) for p in chosen]


async def remove(state: AppState, caller: Caller, event_id: str, person_id: str) -> None:
    """One transaction: every session of the person is told, and they are gone."""

    async def work(tx: AsyncSession, logs: Logs) -> None:
        await load_event(tx, caller, event_id, Perm.people_manage)
        person = await _person(tx, event_id, person_id)
        places = await _places_of(tx, [person_id])
        sessions = await logs(places)  # the sessions first: arrivals lock theirs first too
        # waits for arrivals being stored (they hold the row FOR KEY SHARE); later
        # ones then find the person gone
        await tx.exec(select(Person.id).where(Person.id == person_id).with_for_update())
        places = await _places_of(tx, [person_id])  # their rooms as of the sessions' locks
        await _tell(sessions, places, lambda pid: PersonRemoved(person_id=pid))
        await tx.exec(delete(PresenceLease).where(PresenceLease.person_id == person_id))
        await tx.exec(delete(Placement).where(Placement.person_id == person_id))
        await tx.delete(person)

    await state.commands.run_many(work, by=caller.person_id)
    state.tokens.forget(person_id)
