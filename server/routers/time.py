"""Time endpoints: the schedule in any zone, local times, calendars, the slot planner and
per-person calendar feeds."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ..deps import CallerDep, StateDep
from ..responses import model
from ..responses_time import CalendarFeed, LocalTimes, ScheduleEntry, Slots
from ..services import calendar as svc

router = APIRouter(tags=["time"])

_ICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}, "description": "An RFC 5545 calendar"}
}


def _calendar(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=svc.CALENDAR_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-cache",
        },
    )


@router.get(
    "/api/events/{event_id}/schedule",
    response_model=None,
    responses=model(200, list[ScheduleEntry]),
)
async def schedule(
    event_id: str,
    caller: CallerDep,
    state: StateDep,
    tz: Annotated[
        str | None,
        Query(description="IANA zone; default the caller's own (the event's for the admin)"),
    ] = None,
) -> list[dict[str, Any]]:
    """The event's sessions by start, each with its times in ``tz``."""
    return await svc.schedule(state, caller, event_id, tz)


@router.get(
    "/api/sessions/{session_id}/local-times",
    response_model=None,
    responses=model(200, LocalTimes),
)
async def local_times(session_id: str, caller: CallerDep, state: StateDep) -> dict[str, Any]:
    """The session's start in every zone the event's people live in (observers aside),
    with how many people and whether it is outside the event's working hours."""
    return await svc.session_local_times(state, caller, session_id)


@router.get(
    "/api/events/{event_id}/calendar.ics",
    response_class=Response,
    responses=_ICS_RESPONSE,
)
async def event_calendar(event_id: str, caller: CallerDep, state: StateDep) -> Response:
    """The event's sessions as an RFC 5545 calendar (cancelled ones STATUS:CANCELLED)."""
    return _calendar(await svc.event_calendar(state, caller, event_id), f"{event_id}.ics")


@router.get("/api/events/{event_id}/slots", response_model=None, responses=model(200, Slots))
async def slots(
    event_id: str,
    caller: CallerDep,
    state: StateDep,
    duration: Annotated[str, Query(description='ISO 8601 duration, e.g. "PT2H"')],
    window_from: Annotated[str, Query(alias="from", description="ISO 8601 instant with offset")],
    window_to: Annotated[str, Query(alias="to", description="ISO 8601 instant with offset")],
    step: Annotated[str, Query(description="grid of candidate starts")] = "PT30M",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Response:
    """Candidate starts ranked by how many participants the session would reach
    inside their working hours, naming those it would not. An answer over 20,000
    rows (zones and people outside) is 422 with ``max_limit``."""
    body = await svc.slots(
        state,
        caller,
        event_id,
        duration=duration,
        start=window_from,
        end=window_to,
        step=step,
        limit=limit,
    )
    return Response(body, media_type="application/json")


@router.post(
    "/api/events/{event_id}/people/{person_id}/calendar-token",
    status_code=201,
    response_model=None,
    responses=model(201, CalendarFeed),
)
async def issue_calendar_token(
    event_id: str, person_id: str, caller: CallerDep, state: StateDep
) -> dict[str, str]:
    """A read-only calendar-feed link for the person; a new one revokes the old one."""
    return await svc.issue_feed_token(state, caller, event_id, person_id)


@router.delete("/api/events/{event_id}/people/{person_id}/calendar-token", status_code=204)
async def revoke_calendar_token(
    event_id: str, person_id: str, caller: CallerDep, state: StateDep
) -> Response:
    await svc.revoke_feed_token(state, caller, event_id, person_id)
    return Response(status_code=204)


@router.get("/api/calendar/{token}.ics", response_class=Response, responses=_ICS_RESPONSE)
async def calendar_feed(token: str, state: StateDep) -> Response:
    """A person's calendar feed by its calendar token (no header: calendar programs
    cannot send one). Unknown or revoked tokens, and bearer tokens, are 404."""
    return _calendar(await svc.feed(state, token), "convene.ics")
