"""Attendance: who came, for how long, where and in which language."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from .. import spreadsheets
from ..deps import CallerDep, StateDep
from ..jsonish import utc_json
from ..responses import EventAttendance, PersonAttendance
from ..services import attendance_reports

router = APIRouter(tags=["attendance"])
CSV_TOO = {"content": {"text/csv": {"schema": {"type": "string"}}}}


@router.get(
    "/api/sessions/{session_id}/attendance",
    responses={200: {"model": list[PersonAttendance], **CSV_TOO}},
)
async def session_attendance(
    session_id: str,
    request: Request,
    caller: CallerDep,
    state: StateDep,
    delimiter: Literal["comma", "semicolon"] = "comma",
):
    """One object per person ever online (``Accept: text/csv`` for spreadsheets;
    ``?delimiter=semicolon`` for German Excel)."""
    people = await attendance_reports.session_attendance(state, caller, session_id)
    if spreadsheets.wants_csv(request.headers.get("accept")):
        return attendance_reports.session_csv(people, spreadsheets.DELIMITERS[delimiter])
    return utc_json(people)


@router.get("/api/events/{event_id}/attendance", responses={200: {"model": EventAttendance}})
async def event_attendance(event_id: str, caller: CallerDep, state: StateDep):
    """The figures a network's report prints, per session and for the event."""
    return utc_json(await attendance_reports.event_attendance(state, caller, event_id))
