"""Chat: send, read the history, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ..deps import CallerDep, StateDep
from ..responses import model
from ..schemas_speakers import ChatCreate, ChatMessageView
from ..services import chat as svc

router = APIRouter(tags=["chat"])

BASE = "/api/sessions/{session_id}/messages"


@router.post(BASE, status_code=201, responses=model(201, ChatMessageView))
async def send_message(session_id: str, body: ChatCreate, caller: CallerDep, state: StateDep):
    return await svc.send_message(state, caller, session_id, body)


@router.get(BASE, responses=model(200, list[ChatMessageView]))
async def list_messages(
    session_id: str,
    caller: CallerDep,
    state: StateDep,
    before: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    return await svc.history(state, caller, session_id, before, limit)


@router.delete(BASE + "/{message_id}", status_code=204)
async def delete_message(session_id: str, message_id: str, caller: CallerDep, state: StateDep):
    await svc.delete_message(state, caller, session_id, message_id)
    return Response(status_code=204)
