"""Help requests: one line per route (parse, call, return)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..deps import CallerDep, StateDep
from ..responses import HelpRequestView, model
from ..schemas_breakouts import HelpCreate
from ..services import help as svc

router = APIRouter(tags=["breakouts"])

BASE = "/api/sessions/{session_id}/help"
ASKED = {
    **model(201, HelpRequestView, "a new request"),
    **model(200, HelpRequestView, "the caller's open request, unchanged"),
}


@router.post(BASE, status_code=201, responses=ASKED)
async def ask_help(
    session_id: str,
    caller: CallerDep,
    state: StateDep,
    response: Response,
    body: HelpCreate | None = None,
):
    """201 with a new request; 200 with the asker's open one when they have one."""
    request, created = await svc.ask(state, caller, session_id, body.text if body else None)
    response.status_code = 201 if created else 200
    return request


@router.get(BASE, responses=model(200, list[HelpRequestView]))
async def list_help(session_id: str, caller: CallerDep, state: StateDep):
    return await svc.list_requests(state, caller, session_id)


@router.post(BASE + "/{help_id}/claim", responses=model(200, HelpRequestView))
async def claim_help(session_id: str, help_id: str, caller: CallerDep, state: StateDep):
    return await svc.claim(state, caller, session_id, help_id)


@router.delete(BASE + "/{help_id}", status_code=204)
async def resolve_help(session_id: str, help_id: str, caller: CallerDep, state: StateDep):
    await svc.resolve(state, caller, session_id, help_id)
    return Response(status_code=204)
