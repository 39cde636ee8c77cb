"""Breakout rounds, moves and help requests."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

import breakouts as bo

from .. import errors
from ..auth import Perm, load_session
from ..deps import CallerDep, StateDep
from ..models import Event
from ..responses import (
    HelpRequestView,
    MoveDone,
    RoundCreated,
    RoundParticipantView,
    RoundView,
    model,
)
from ..schemas import (
    BreakoutCreate,
    Extend,
    HelpCreate,
    MoveCreate,
    PlanExchange,
    PlanMove,
    PlanReplace,
)
from ..services import breakouts as svc
from ..services import help as help_svc
from ..services.breakouts import load
from ..state import AppState

router = APIRouter(tags=["breakouts"])

BASE = "/api/sessions/{session_id}/breakouts"
ROUND = model(200, RoundView)
SEEN = model(200, RoundView | RoundParticipantView, "moderators' and observers' view first")


async def _authorize(state: AppState, caller, session_id: str, perm: Perm):
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, perm)
        event = await tx.get(Event, s.event_id)
    return s, event


@router.post(BASE, status_code=201, responses=model(201, RoundCreated))
async def create_round(session_id: str, body: BreakoutCreate, caller: CallerDep, state: StateDep):
    _, event = await _authorize(state, caller, session_id, Perm.session_moderate)
    return await svc.run(state, caller, session_id, svc.create_round(body, event))


@router.get(BASE, responses=model(200, list[RoundView | RoundParticipantView]))
async def list_rounds(session_id: str, caller: CallerDep, state: StateDep):
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        st = await load(tx, s)
    return [
        svc.view(st, r, staff=caller.is_staff, viewer=caller.person_id) for r in st.rounds.values()
    ]


@router.get(BASE + "/{round_id}", responses=SEEN)
async def get_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        st = await load(tx, s)
    return svc.view(st, st.round(round_id), staff=caller.is_staff, viewer=caller.person_id)


def _step(name: str, fn):
    async def endpoint(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
        await _authorize(state, caller, session_id, Perm.session_moderate)
        return await svc.run(state, caller, session_id, svc.round_step(round_id, fn))

    endpoint.__name__ = name
    return endpoint


@router.post(BASE + "/{round_id}/open", responses=ROUND)
async def open_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    await _authorize(state, caller, session_id, Perm.session_moderate)
    return await svc.run(state, caller, session_id, svc.open_round(round_id))


router.post(BASE + "/{round_id}/close", responses=ROUND)(
    _step("close_round", lambda r: bo.begin_close(r, now=svc.utcnow()))
)
router.post(BASE + "/{round_id}/cancel-close", responses=ROUND)(
    _step("cancel_close", lambda r: bo.cancel_close(r, now=svc.utcnow()))
)
router.post(BASE + "/{round_id}/cancel", responses=ROUND)(
    _step("cancel_round", lambda r: bo.cancel_round(r, now=svc.utcnow()))
)


@router.post(BASE + "/{round_id}/extend", responses=ROUND)
async def extend_round(
    session_id: str, round_id: str, body: Extend, caller: CallerDep, state: StateDep
):
    await _authorize(state, caller, session_id, Perm.session_moderate)
    step = svc.round_step(round_id, lambda r: bo.extend_round(r, body.seconds, now=svc.utcnow()))
    return await svc.run(state, caller, session_id, step)


@router.post(BASE + "/{round_id}/recreate", status_code=201, responses=model(201, RoundCreated))
async def recreate_round(session_id: str, round_id: str, caller: CallerDep, state: StateDep):
    _, event = await _authorize(state, caller, session_id, Perm.session_moderate)
    return await svc.run(state, caller, session_id, svc.recreate(round_id, event))


@router.post(BASE + "/{round_id}/plan/move", responses=ROUND)
async def plan_move(
    session_id: str, round_id: str, body: PlanMove, caller: CallerDep, state: StateDep
):
    await _authorize(state, caller, session_id, Perm.session_moderate)

    def change(r, st):
        _known(st, body.person_id)
        return bo.plan_move(r, body.person_id, body.room_id, st.members)

    return await svc.run(state, caller, session_id, svc.edit_plan(round_id, change))


@router.post(BASE + "/{round_id}/plan/exchange", responses=ROUND)
async def plan_exchange(
    session_id: str, round_id: str, body: PlanExchange, caller: CallerDep, state: StateDep
):
    await _authorize(state, caller, session_id, Perm.session_moderate)

    def change(r, st):
        _known(st, body.person_a, body.person_b)
        return bo.plan_exchange(r, body.person_a, body.person_b, st.members)

    return await svc.run(state, caller, session_id, svc.edit_plan(round_id, change))


@router.put(
    BASE + "/{round_id}/plan",
    responses=ROUND,
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": PlanReplace.model_json_schema()},
            }
        }
    },
)
async def replace_plan(
    session_id: str, round_id: str, request: Request, caller: CallerDep, state: StateDep
):
    """The whole plan at once: a ``text/csv`` body with ``email,room`` or ``name,room``
    columns (every bad line is listed; nothing is applied if any is wrong), or JSON
    ``{"assignments": {person_id: room_id}, "replace": false}``."""
    await _authorize(state, caller, session_id, Perm.session_moderate)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if ctype == "text/csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise errors.Invalid("the CSV must be UTF-8 text") from None

        def change(r, st):
            assignments = bo.parse_assignment_csv(text, st.members.values(), r.rooms)
            return bo.apply_plan(r, assignments, st.members, replace_all=True)

    else:
        try:
            body = PlanReplace.model_validate_json(raw)
        except ValueError as exc:
            raise errors.Invalid(
                f"send text/csv, or JSON {{'assignments': {{person_id: room_id}}}}: {exc}"
            ) from None

        def change(r, st):
            _known(st, *body.assignments)
            return bo.apply_plan(r, body.assignments, st.members, replace_all=body.replace)

    return await svc.run(state, caller, session_id, svc.edit_plan(round_id, change))


def _known(st, *person_ids: str) -> None:
    for pid in person_ids:
        if pid not in st.people:
            raise errors.NotFound(f"person {pid} does not exist in this event")


@router.post("/api/sessions/{session_id}/moves", responses=model(200, MoveDone))
async def move(session_id: str, body: MoveCreate, caller: CallerDep, state: StateDep):
    """Moderators move anyone; a participant moves itself where the round allows."""
    await _authorize(state, caller, session_id, Perm.move_self)
    return await svc.run(state, caller, session_id, svc.move(caller, body.person_id, body.room_id))


@router.post(
    "/api/sessions/{session_id}/help",
    status_code=201,
    responses={
        **model(201, HelpRequestView, "a new request"),
        **model(200, HelpRequestView, "the caller's open request, unchanged"),
    },
)
async def ask_help(
    session_id: str,
    caller: CallerDep,
    state: StateDep,
    response: Response,
    body: HelpCreate | None = None,
):
    """201 with a new request; 200 with the asker's open one when they have one."""
    await _authorize(state, caller, session_id, Perm.help_ask)
    request, created = await help_svc.ask(state, caller, session_id, body.text if body else None)
    if not created:
        response.status_code = 200
    return request


@router.get("/api/sessions/{session_id}/help", responses=model(200, list[HelpRequestView]))
async def list_help(session_id: str, caller: CallerDep, state: StateDep):
    async with state.db.read() as tx:
        await load_session(tx, caller, session_id, Perm.session_read)
        rows = await help_svc.open_requests(tx, session_id)
    if not caller.is_staff:
        rows = [h for h in rows if h.person_id == caller.person_id]
    return [help_svc.public(h) for h in rows]


@router.post(
    "/api/sessions/{session_id}/help/{help_id}/claim", responses=model(200, HelpRequestView)
)
async def claim_help(session_id: str, help_id: str, caller: CallerDep, state: StateDep):
    await _authorize(state, caller, session_id, Perm.session_moderate)
    return await help_svc.claim(state, caller, session_id, help_id)


@router.delete("/api/sessions/{session_id}/help/{help_id}", status_code=204)
async def resolve_help(session_id: str, help_id: str, caller: CallerDep, state: StateDep):
    await _authorize(state, caller, session_id, Perm.session_read)
    await help_svc.resolve(state, caller, session_id, help_id)
    return Response(status_code=204)
