"""Events: created by the operator, read by members, changed by moderators."""

from __future__ import annotations

from fastapi import APIRouter

from ..auth import Perm, load_event, require
from ..deps import CallerDep, StateDep
from ..models import Event
from ..schemas import EventCreate, EventPublic, EventUpdate
from ..services import event_changes

router = APIRouter(prefix="/api/events", tags=["events"])


@router.post("", status_code=201, response_model=EventPublic)
async def create_event(body: EventCreate, caller: CallerDep, state: StateDep):
    require(caller, Perm.event_create)
    event = Event(**body.model_dump())
    async with state.db.write() as tx:
        tx.add(event)
    return event


@router.get("/{event_id}", response_model=EventPublic)
async def get_event(event_id: str, caller: CallerDep, state: StateDep):
    async with state.db.read() as tx:
        return await load_event(tx, caller, event_id, Perm.event_read)


@router.patch("/{event_id}", response_model=EventPublic)
async def update_event(event_id: str, body: EventUpdate, caller: CallerDep, state: StateDep):
    return await event_changes.update_event(state, caller, event_id, body)
