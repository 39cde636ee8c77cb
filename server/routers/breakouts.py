"""Breakout rounds and moves: one line per route (parse, call, return). A round's life
(open, close, cancel, extend) answers with its view as plain JSON (``json_response``)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..deps import CallerDep, StateDep
from ..jsonish import json_response
from ..openapi import body_ref
from ..responses import MoveDone, RoundCreated, RoundParticipantView, RoundView, model
from ..schemas_breakouts import (
    BreakoutCreate,
    Extend,
    MoveCreate,
    PlanExchange,
    PlanMove,
    PlanReplace,
)
from ..services import breakouts as svc

router = APIRouter(tags=["breakouts"])

BASE = "/api/sessions/{session_id}/breakouts"
ROUND = model(200, RoundView)
SEEN = model(200, RoundView | RoundParticipantView, "moderators' and observers' view first")
CREATED = model(201, RoundCreated)


@router.post(BASE, status_code=201, responses=CREATED)
async def create_round(session_id: str, body: BreakoutCreate, caller: CallerDep, state: StateDep):
    return await svc.create_round(state, caller, session_id, body)


@router.get(BASE, responses=model(200, list[RoundView | RoundParticipantView]))
async def list_rounds(session_id: str, caller: CallerDep, state: StateDep):
    return await svc.list_rounds(state, caller, session_id)


@router.get(BASE + "/{round_id}", responses=SEEN)
async def get_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    return await svc.get_round(state, caller, session_id, round_id)


@router.post(BASE + "/{round_id}/open", responses=ROUND)
async def open_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    return json_response(await svc.open_round(state, caller, session_id, round_id))


@router.post(BASE + "/{round_id}/close", responses=ROUND)
async def close_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    return json_response(await svc.close_round(state, caller, session_id, round_id))


@router.post(BASE + "/{round_id}/cancel-close", responses=ROUND)
async def cancel_close(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    return json_response(await svc.cancel_close(state, caller, session_id, round_id))


@router.post(BASE + "/{round_id}/cancel", responses=ROUND)
async def cancel_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    return json_response(await svc.cancel_round(state, caller, session_id, round_id))


@router.post(BASE + "/{round_id}/extend", responses=ROUND)
async def extend_round(
    session_id: str, round_id: str, body: Extend, caller: CallerDep, state: StateDep
):
    return json_response(await svc.extend_round(state, caller, session_id, round_id, body.seconds))


@router.post(BASE + "/{round_id}/recreate", status_code=201, responses=CREATED)
async def recreate_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    return await svc.recreate_round(state, caller, session_id, round_id)


@router.post(BASE + "/{round_id}/plan/move", responses=ROUND)
async def plan_move(
    session_id: str, round_id: str, body: PlanMove, caller: CallerDep, state: StateDep
):
    return await svc.plan_move(state, caller, session_id, round_id, body)


@router.post(BASE + "/{round_id}/plan/exchange", responses=ROUND)
async def plan_exchange(
    session_id: str, round_id: str, body: PlanExchange, caller: CallerDep, state: StateDep
):
    return await svc.plan_exchange(state, caller, session_id, round_id, body)


PLAN_BODY = {
    "requestBody": {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": body_ref(PlanReplace)},
        }
    }
}


@router.put(BASE + "/{round_id}/plan", responses=ROUND, openapi_extra=PLAN_BODY)
async def replace_plan(
    session_id: str, round_id: str, request: Request, caller: CallerDep, state: StateDep
):
    """The whole plan at once: a ``text/csv`` body with ``email,room`` or ``name,room``
    columns (every bad line is listed; nothing is applied if any is wrong), or JSON
    ``{"assignments": {person_id: room_id}, "replace": false}``."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return await svc.replace_plan(state, caller, session_id, round_id, ctype, await request.body())


@router.post("/api/sessions/{session_id}/moves", responses=model(200, MoveDone))
async def move(session_id: str, body: MoveCreate, caller: CallerDep, state: StateDep):
    """Moderators move anyone; a participant moves itself where the round allows."""
    return await svc.move_person(state, caller, session_id, body)
