"""Events: created by the operator, read by members, changed after they were
announced (e.g. Russian was "tbc.")."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import errors
from .. import eventlog as el
from ..auth import Caller, Perm, load_event, require
from ..commands import Logs
from ..events import EventUpdated
from ..models import Event, Room, Session
from ..schemas import EventCreate, EventUpdate
from ..state import AppState

FINAL = ("ended", "cancelled")


async def create_event(state: AppState, caller: Caller, body: EventCreate) -> Event:
    require(caller, Perm.event_create)
    event = Event(**body.model_dump())
    async with state.db.write() as tx:
        tx.add(event)
    return event


async def get_event(state: AppState, caller: Caller, event_id: str) -> Event:
    async with state.db.read() as tx:
        return await load_event(tx, caller, event_id, Perm.event_read)


async def update_event(state: AppState, caller: Caller, event_id: str, body: EventUpdate) -> Event:
    """One transaction: the event row and every running session of it (its plenary's
    languages, ``event.updated``, and what followers change, e.g. the channels)."""
    changes = body.model_dump(exclude_unset=True)

    async def work(tx: AsyncSession, logs: Logs) -> Event:
        event = await load_event(tx, caller, event_id, Perm.event_manage)
        _validate(event, changes)
        sessions = (
            await tx.exec(
                select(Session.id).where(Session.event_id == event_id, Session.status.not_in(FINAL))
            )
        ).all()
        for log in await logs(sessions):
            if "interpretation_languages" in changes:
                plenary = await tx.get(Room, log.session.plenary_room_id)
                if plenary is not None:
                    plenary.languages = list(changes["interpretation_languages"])
                    tx.add(plenary)
            log.emit(EventUpdated(changes=changes), [el.SESSION])
        for key, value in changes.items():
            setattr(event, key, value)
        tx.add(event)
        return event

    return await state.commands.run_many(work, by=caller.person_id)


def _validate(event: Event, changes: dict) -> None:
    if not changes:
        raise errors.Invalid("nothing to change: send at least one field")
    for key in EventUpdate.NOT_NULL:
        if key in changes and changes[key] is None:
            raise errors.Invalid(f"'{key}' cannot be null")
    langs = changes.get("interpretation_languages")
    if langs is not None:
        if len(set(langs)) != len(langs):
            raise errors.Invalid("interpretation_languages lists a language twice")
        if event.floor_language in langs:
            raise errors.Invalid(
                f"{event.floor_language!r} is the floor language; do not list it as an "
                "interpretation language"
            )
