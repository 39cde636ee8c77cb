"""The speaker queue: raise, lower or dismiss, reorder, call."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..deps import CallerDep, StateDep
from ..responses import model
from ..schemas_speakers import HandRaise, HandsOrder, HandView, SpeakerCall
from ..services import speakers as svc

router = APIRouter(tags=["speaker queue"])

BASE = "/api/sessions/{session_id}/hands"


@router.post(
    BASE,
    status_code=201,
    responses={
        **model(201, HandView, "a new hand, last in the room's queue"),
        **model(200, HandView, "the caller's hand, language updated, place kept"),
    },
)
async def raise_hand(
    session_id: str, caller: CallerDep, state: StateDep, response: Response, body: HandRaise
):
    hand, created = await svc.raise_hand(state, caller, session_id, body)
    response.status_code = 201 if created else 200
    return hand


@router.get(BASE, responses=model(200, list[HandView]))
async def list_hands(
    session_id: str, caller: CallerDep, state: StateDep, room_id: str | None = None
):
    return await svc.queue(state, caller, session_id, room_id)


@router.put(BASE + "/order", responses=model(200, list[HandView]))
async def reorder_hands(session_id: str, body: HandsOrder, caller: CallerDep, state: StateDep):
    return await svc.reorder_hands(state, caller, session_id, body)


@router.post(BASE + "/{hand_id}/call", responses=model(200, SpeakerCall))
async def call_speaker(session_id: str, hand_id: str, caller: CallerDep, state: StateDep):
    return await svc.call_speaker(state, caller, session_id, hand_id)


@router.delete(BASE + "/{hand_id}", status_code=204)
async def lower_hand(session_id: str, hand_id: str, caller: CallerDep, state: StateDep):
    await svc.lower_hand(state, caller, session_id, hand_id)
    return Response(status_code=204)
