"""Events: created by the operator, read by members, changed by moderators."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CallerDep, StateDep
from ..schemas import EventCreate, EventPublic, EventUpdate
from ..services import event_changes

router = APIRouter(prefix="/api/events", tags=["events"])


@router.post("", status_code=201, response_model=EventPublic)
async def create_event(body: EventCreate, caller: CallerDep, state: StateDep):
    return await event_changes.create_event(state, caller, body)


@router.get("/{event_id}", response_model=EventPublic)
async def get_event(event_id: str, caller: CallerDep, state: StateDep):
    return await event_changes.get_event(state, caller, event_id)


@router.patch("/{event_id}", response_model=EventPublic)
async def update_event(event_id: str, body: EventUpdate, caller: CallerDep, state: StateDep):
    return await event_changes.update_event(state, caller, event_id, body)
