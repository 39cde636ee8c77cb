"""Media tickets: GET /api/sessions/{session_id}/media."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CallerDep, StateDep
from ..responses import MediaTicket, model
from ..services import media as svc

router = APIRouter(tags=["media"])


@router.get("/api/sessions/{session_id}/media", responses=model(200, MediaTicket))
async def media_ticket(session_id: str, caller: CallerDep, state: StateDep):
    """The caller's AudioBridge joins: the room to hear, the rooms to speak into."""
    return await svc.media_ticket(state, caller, session_id)
