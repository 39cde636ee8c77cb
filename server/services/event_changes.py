"""Changing an event after it was announced (e.g. Russian was "tbc.")."""

from __future__ import annotations

from sqlmodel import select

from .. import errors
from .. import eventlog as el
from ..auth import Caller, Perm, load_event
from ..events import EventUpdated
from ..models import Event, Room, Session
from ..schemas import EventUpdate
from ..state import AppState

FINAL = ("ended", "cancelled")


async def update_event(state: AppState, caller: Caller, event_id: str, body: EventUpdate) -> Event:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise errors.Invalid("nothing to change: send at least one field")
    for key, value in changes.items():
        if value is None:
            raise errors.Invalid(f"'{key}' cannot be null")
    async with state.db.write() as tx:
        event = await load_event(tx, caller, event_id, Perm.event_manage)
        langs = changes.get("interpretation_languages")
        if langs is not None:
            if len(set(langs)) != len(langs):
                raise errors.Invalid("interpretation_languages lists a language twice")
            if event.floor_language in langs:
                raise errors.Invalid(
                    f"{event.floor_language!r} is the floor language; do not list it as an "
                    "interpretation language"
                )
        for key, value in changes.items():
            setattr(event, key, value)
        tx.add(event)
        sessions = (
            await tx.exec(
                select(Session.id).where(Session.event_id == event_id, Session.status.not_in(FINAL))
            )
        ).all()
    for sid in sessions:

        async def work(tx, s, log, changes=changes):
            if "interpretation_languages" in changes:
                plenary = await tx.get(Room, s.plenary_room_id)
                if plenary is not None:
                    plenary.languages = list(changes["interpretation_languages"])
                    tx.add(plenary)
            log.emit(EventUpdated(changes=changes), [el.SESSION])

        await state.commands.run(sid, work, by=caller.person_id)
    return event
