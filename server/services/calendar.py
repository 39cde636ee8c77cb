"""Time views of an event: schedule rows, local times, calendars, the slot planner and
the per-person calendar feed.

The pure work is in ``scheduler/``; this module loads rows, checks rights and maps
``TimeInputError`` to 422 problems naming the field and the value.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import orjson
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from breakouts.wording import with_article
from scheduler.ics import CalendarSession, build_calendar
from scheduler.planner import MAX_DURATION, MAX_ROWS, MAX_WINDOW, parse_iso_duration, rank_slots
from scheduler.time_errors import TimeInputError
from scheduler.views import count_zones, local_times, schedule_entry
from scheduler.wallclock import format_duration, format_utc, parse_utc
from scheduler.zones import get_zone

from .. import errors
from ..auth import Caller, Perm, hash_token, load_event, load_session, new_token
from ..models import Event, Person, Session
from ..state import AppState
from .sessions import time_problem

CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"
# Who counts as "living" somewhere for local times: the participants, as the slot
# planner counts them. Moderators and interpreters work at whatever hour the session
# is set for; counting them would tilt the table toward the organisers' zone.
_AUDIENCE_ROLES = ("participant",)
_MAX_TOKEN = 200
# "from=2020-11-17T13:00:00+01:00" typed into a URL arrives with a space for the "+".
_PLUS_AS_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def _hours(event: Event) -> str:
    """The event's working hours as the pure functions read them (``"08:00-21:00"``)."""
    return "-".join(event.working_hours or ["08:00", "21:00"])


async def _sessions(tx: AsyncSession, event_id: str) -> list[Session]:
    q = select(Session).where(Session.event_id == event_id).order_by(Session.start, Session.id)
    return list((await tx.exec(q)).all())


# ---------------------------------------------------------------- schedule


async def schedule(
    state: AppState, caller: Caller, event_id: str, tz: str | None
) -> list[dict[str, Any]]:
    async with state.db.read() as tx:
        event = await load_event(tx, caller, event_id, Perm.session_read)
        rows = await _sessions(tx, event_id)
    zone = tz if tz is not None else (caller.person.timezone if caller.person else event.timezone)
    try:
        get_zone(zone, field="tz")
        return [{**schedule_entry(s, zone, event.timezone), "status": s.status} for s in rows]
    except TimeInputError as exc:
        raise time_problem(exc) from None


# ---------------------------------------------------------------- local times


async def session_local_times(state: AppState, caller: Caller, session_id: str) -> dict[str, Any]:
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        event = await tx.get(Event, s.event_id)
        q = select(Person.timezone).where(
            Person.event_id == s.event_id, Person.role.in_(_AUDIENCE_ROLES)
        )
        zones = list((await tx.exec(q)).all())
    try:
        table = local_times(s.start, count_zones(zones), _hours(event))
    except TimeInputError as exc:
        raise time_problem(exc) from None
    return {
        "session_id": s.id,
        "start": format_utc(s.start),
        "end": format_utc(s.end),
        "timezone": s.timezone,
        "working_hours": list(event.working_hours),
        "zones": table,
    }


# ---------------------------------------------------------------- calendars


def join_urls(state: AppState, session_id: str) -> tuple[str, str]:
    """``(resource, websocket)``: the session's REST resource (the calendar's URL,
    stable for the session's life) and the WebSocket clients join it on; both take
    the person's Convene token."""
    base = state.settings.public_url.rstrip("/")
    ws_base = base.replace("http", "ws", 1)
    return f"{base}/api/sessions/{session_id}", f"{ws_base}/ws/sessions/{session_id}"


def join_page(state: AppState, session_id: str) -> str:
    """The console's join page for a session: a browser opens it and uses the
    person's own link (the token never goes into a calendar file)."""
    return f"{state.settings.public_url.rstrip('/')}/join#session={session_id}"


def _ics(state: AppState, event: Event, sessions: list[Session]) -> bytes:
    """URL and LOCATION are the console's join page (the REST resource would answer
    401 to a person who clicks it); the description names the WebSocket."""
    items = []
    for s in sessions:
        _, ws = join_urls(state, s.id)
        description = f"Live connection (WebSocket, with your Convene token): {ws}"
        url = join_page(state, s.id)
        items.append(CalendarSession.from_session(s, url=url, description=description))
    return build_calendar(items, calendar_name=event.title)


async def event_calendar(state: AppState, caller: Caller, event_id: str) -> bytes:
    async with state.db.read() as tx:
        event = await load_event(tx, caller, event_id, Perm.session_read)
        rows = await _sessions(tx, event_id)
    return _ics(state, event, rows)


def feed_url(state: AppState, token: str) -> str:
    return f"{state.settings.public_url.rstrip('/')}/api/calendar/{token}.ics"


async def _feed_target(tx: AsyncSession, caller: Caller, event_id: str, person_id: str) -> Person:
    """The person whose feed token is made or revoked: themselves, or anyone for staff
    who manage people. Another event's person is 404, someone else's is 403."""
    await load_event(tx, caller, event_id, Perm.event_read)
    person = await tx.get(Person, person_id)
    if person is None or person.event_id != event_id:
        raise errors.NotFound(f"person {person_id} does not exist in event {event_id}")
    if caller.person_id != person_id and not caller.can(Perm.people_manage):
        raise errors.Forbidden(
            f"{with_article(caller.role)} may only manage their own calendar feed; "
            "ask a moderator or the operator"
        )
    return person


async def issue_feed_token(
    state: AppState, caller: Caller, event_id: str, person_id: str
) -> dict[str, str]:
    """A new calendar-feed token for the person; the previous one stops working."""
    token = new_token()
    async with state.db.write() as tx:
        person = await _feed_target(tx, caller, event_id, person_id)
        person.calendar_token_hash = hash_token(token)
        tx.add(person)
    return {"person_id": person_id, "token": token, "url": feed_url(state, token)}


async def revoke_feed_token(state: AppState, caller: Caller, event_id: str, person_id: str) -> None:
    async with state.db.write() as tx:
        person = await _feed_target(tx, caller, event_id, person_id)
        if person.calendar_token_hash is not None:
            person.calendar_token_hash = None
            tx.add(person)


async def feed(state: AppState, token: str) -> bytes:
    """The calendar of the feed token's person (their event's sessions); 404 for any
    other string, bearer tokens included."""
    missing = errors.NotFound(
        "no calendar feed has this address (it may have been revoked); ask for a new calendar link"
    )
    if not token or len(token) > _MAX_TOKEN:
        raise missing
    async with state.db.read() as tx:
        q = select(Person).where(Person.calendar_token_hash == hash_token(token))
        person = (await tx.exec(q)).first()
        if person is None:
            raise missing
        event = await tx.get(Event, person.event_id)
        rows = await _sessions(tx, person.event_id)
    return _ics(state, event, rows)


# ---------------------------------------------------------------- slots


def _window_checks(
    raw_duration: str, duration: dt.timedelta, raw_from: str, raw_to: str, start, end
) -> None:
    """The two limits named with the values as the client sent them."""
    if duration > MAX_DURATION:
        raise errors.Invalid(
            f'duration "{raw_duration}" ({format_duration(duration)}) is longer than '
            f"{format_duration(MAX_DURATION)}; plan shorter sessions.",
            field="duration",
            value=raw_duration,
        )
    if end - start > MAX_WINDOW:
        raise errors.Invalid(
            f'the window from "{raw_from}" to "{raw_to}" is {(end - start).days} days long, '
            f"more than {MAX_WINDOW.days}; ask for a shorter window.",
            field="to",
            value=raw_to,
        )


async def slots(
    state: AppState,
    caller: Caller,
    event_id: str,
    *,
    duration: str,
    start: str,
    end: str,
    step: str,
    limit: int,
) -> bytes:
    """The ranked slots as JSON, planned in a thread and encoded there."""
    async with state.db.read() as tx:
        event = await load_event(tx, caller, event_id, Perm.session_manage)
        q = (
            select(Person.id, Person.timezone)
            .where(Person.event_id == event_id, Person.role == "participant")
            .order_by(Person.created_at, Person.id)
        )
        participants = [(pid, tz) for pid, tz in (await tx.exec(q)).all()]
    try:
        length = parse_iso_duration(duration, field="duration")
        step_length = parse_iso_duration(step, field="step")
        start, end = (_PLUS_AS_SPACE.sub(r"\1+\2", v.strip()) for v in (start, end))
        window_start = parse_utc(start, field="from")
        window_end = parse_utc(end, field="to")
        _window_checks(duration, length, start, end, window_start, window_end)
    except TimeInputError as exc:
        raise time_problem(exc) from None
    head = {
        "duration": duration.strip().upper(),
        "from": format_utc(window_start),
        "to": format_utc(window_end),
        "step": step.strip().upper(),
        "working_hours": list(event.working_hours),
        "participants": len(participants),
    }
    plan = (participants, length, window_start, window_end, step_length, _hours(event), limit)
    # One planner at a time per process, in a thread: its CPU time never holds the
    # event loop (other clients' frames and pings), and its memory stays one answer's.
    gate = state.extra.setdefault("slot_planner", asyncio.Semaphore(1))
    try:
        async with gate:
            return await asyncio.to_thread(_planned, head, *plan)
    except TimeInputError as exc:
        raise time_problem(exc) from None


def _planned(head: dict[str, Any], participants, length, start, end, step, hours, limit) -> bytes:
    """The ranked slots as JSON bytes (encoded here, off the event loop)."""
    ranked = rank_slots(
        participants, length, start, end, step, hours, limit=limit, max_rows=MAX_ROWS
    )
    return orjson.dumps({**head, "slots": [slot.to_dict() for slot in ranked]})
