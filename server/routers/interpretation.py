"""Interpretation: floor language, listening, channels, on-air, handover, report. One
line per route (parse, call, return)."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CallerDep, StateDep
from ..responses import (
    ChannelsView,
    FloorChanged,
    HandoverAsked,
    InterpretationReport,
    ListeningChanged,
    SpeakerResult,
    model,
)
from ..schemas_interpretation import FloorSet, HandoverCreate, ListeningSet
from ..services import interpretation as svc

router = APIRouter(tags=["interpretation"])

BASE = "/api/sessions/{session_id}"
CHANNEL = BASE + "/channels/{language}"
SPOKE = model(200, SpeakerResult)


@router.put(BASE + "/floor", responses=model(200, FloorChanged))
async def set_floor(session_id: str, body: FloorSet, caller: CallerDep, state: StateDep):
    """The language now spoken on a room's floor (default: the plenary). Sources of
    every channel of that room are recomputed at once; uncovered ones are listed."""
    return await svc.set_floor(state, caller, session_id, body)


@router.put(BASE + "/listening", responses=model(200, ListeningChanged))
async def set_listening(session_id: str, body: ListeningSet, caller: CallerDep, state: StateDep):
    """The channel the caller hears (the floor language means the original)."""
    return await svc.set_listening(state, caller, session_id, body)


@router.get(BASE + "/channels", responses=model(200, ChannelsView))
async def list_channels(session_id: str, caller: CallerDep, state: StateDep):
    return await svc.list_channels(state, caller, session_id)


@router.post(CHANNEL + "/on-air", responses=SPOKE)
async def on_air(session_id: str, language: str, caller: CallerDep, state: StateDep):
    return await svc.go_on_air(state, caller, session_id, language)


@router.post(CHANNEL + "/off-air", responses=SPOKE)
async def off_air(session_id: str, language: str, caller: CallerDep, state: StateDep):
    return await svc.go_off_air(state, caller, session_id, language)


@router.post(CHANNEL + "/handover/accept", responses=SPOKE)
async def handover_accept(session_id: str, language: str, caller: CallerDep, state: StateDep):
    return await svc.accept_handover(state, caller, session_id, language)


@router.post(CHANNEL + "/handover", status_code=201, responses=model(201, HandoverAsked))
async def request_handover(
    session_id: str, language: str, body: HandoverCreate, caller: CallerDep, state: StateDep
):
    """The live interpreter asks a booth partner to take over."""
    return await svc.request_handover(state, caller, session_id, language, body)


@router.get(BASE + "/interpretation/report", responses=model(200, InterpretationReport))
async def interpretation_report(session_id: str, caller: CallerDep, state: StateDep):
    """On-air minutes per interpreter and language; listeners over time per channel."""
    return await svc.get_report(state, caller, session_id)
