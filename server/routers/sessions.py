"""Sessions: scheduling, status, broadcast."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CallerDep, StateDep
from ..responses import BroadcastSent, model
from ..schemas import BroadcastCreate, SessionCreate, SessionPublic, SessionUpdate, StatusChange
from ..services import sessions as svc

router = APIRouter(tags=["sessions"])


@router.post("/api/events/{event_id}/sessions", status_code=201, response_model=SessionPublic)
async def create_session(event_id: str, body: SessionCreate, caller: CallerDep, state: StateDep):
    return svc.public(state, await svc.create(state, caller, event_id, body))


@router.get("/api/events/{event_id}/sessions", response_model=list[SessionPublic])
async def list_sessions(event_id: str, caller: CallerDep, state: StateDep):
    return await svc.list_sessions(state, caller, event_id)


@router.get("/api/sessions/{session_id}", response_model=SessionPublic)
async def get_session(session_id: str, caller: CallerDep, state: StateDep):
    return svc.public(state, await svc.get_session(state, caller, session_id))


@router.patch("/api/sessions/{session_id}", response_model=SessionPublic)
async def update_session(session_id: str, body: SessionUpdate, caller: CallerDep, state: StateDep):
    return svc.public(state, await svc.update(state, caller, session_id, body))


@router.post("/api/sessions/{session_id}/status", response_model=SessionPublic)
async def change_status(session_id: str, body: StatusChange, caller: CallerDep, state: StateDep):
    return svc.public(state, await svc.change_status(state, caller, session_id, body.status))


@router.post(
    "/api/sessions/{session_id}/broadcast", status_code=201, responses=model(201, BroadcastSent)
)
async def broadcast(session_id: str, body: BroadcastCreate, caller: CallerDep, state: StateDep):
    return await svc.broadcast(state, caller, session_id, body)
