"""Who am I: what a token stands for, so a client that holds only a join link can
find its person, event and sessions."""

from __future__ import annotations

from ..auth import Caller, Perm, require
from ..models import Event
from ..schemas import PersonPublic
from ..state import AppState
from . import sessions


async def describe_me(state: AppState, caller: Caller) -> dict:
    require(caller, Perm.me_read)
    if caller.person is None:
        return {"person": None, "role": "admin", "event": None, "sessions": []}
    async with state.db.read() as tx:
        event = await tx.get(Event, caller.person.event_id)
        rows = await sessions.list_for_event(tx, caller.person.event_id)
    return {
        "person": PersonPublic.model_validate(caller.person),
        "role": caller.role,
        "event": event,
        "sessions": [sessions.public(state, s) for s in rows],
    }
