"""Session commands: create, reschedule, status, broadcast."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.status import StatusConflict, check_transition, require_active
from scheduler.time_errors import TimeInputError
from scheduler.wallclock import resolve_span

from .. import errors
from .. import eventlog as el
from ..auth import Caller, Perm, load_event, load_session
from ..events import BroadcastMessage, SessionRescheduled, SessionStatus
from ..models import Event, Room, Session
from ..schemas import BroadcastCreate, SessionCreate, SessionPublic, SessionUpdate
from ..state import AppState
from . import automation


def time_problem(exc: TimeInputError) -> errors.Invalid:
    fields = exc.problem_fields()
    detail = fields.pop("detail")
    return errors.Invalid(detail, **fields)


def resolve_times(start, end, zone: str):
    try:
        return resolve_span(start, end, zone)
    except TimeInputError as exc:
        raise time_problem(exc) from None


def public(state: AppState, s: Session) -> SessionPublic:
    out = SessionPublic.model_validate(s)
    base = state.settings.public_url.replace("http", "ws", 1).rstrip("/")
    out.ws_url = f"{base}/ws/sessions/{s.id}"
    return out


async def list_for_event(tx: AsyncSession, event_id: str) -> list[Session]:
    q = select(Session).where(Session.event_id == event_id).order_by(Session.start)
    return list((await tx.exec(q)).all())


async def list_sessions(state: AppState, caller: Caller, event_id: str) -> list[SessionPublic]:
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.session_read)
        rows = await list_for_event(tx, event_id)
    return [public(state, s) for s in rows]


async def get_session(state: AppState, caller: Caller, session_id: str) -> Session:
    async with state.db.read() as tx:
        return await load_session(tx, caller, session_id, Perm.session_read)


async def create(state: AppState, caller: Caller, event_id: str, body: SessionCreate) -> Session:
    async with state.db.write() as tx:
        event: Event = await load_event(tx, caller, event_id, Perm.session_manage)
        zone = body.timezone or event.timezone
        start, end = resolve_times(body.start, body.end, zone)
        s = Session(
            event_id=event.id,
            title=body.title,
            kind=body.kind,
            start=start,
            end=end,
            timezone=zone,
            lobby_lead_s=body.lobby_lead_s,
            auto_live=body.auto_live,
            auto_end=body.auto_end,
            reminders_s=body.reminders_s,
        )
        plenary = Room(
            session_id=s.id,
            name="Plenary",
            kind="plenary",
            languages=list(event.interpretation_languages),
            floor_language=event.floor_language,
        )
        s.plenary_room_id = plenary.id
        tx.add(s)
        await tx.flush()
        tx.add(plenary)
        await automation.plan(tx, s)
    state.wake_timers()
    return s


async def update(state: AppState, caller: Caller, session_id: str, body: SessionUpdate) -> Session:
    async def work(tx: AsyncSession, s: Session, log: el.EventLog) -> Session:
        await load_session(tx, caller, session_id, Perm.session_manage)
        changes = body.model_dump(exclude_unset=True)
        if not changes:
            raise errors.Invalid("nothing to change: send at least one field")
        for key in SessionUpdate.NOT_NULL:
            if key in changes and changes[key] is None:
                raise errors.Invalid(f"'{key}' cannot be null")
        if {"start", "end", "timezone"} & changes.keys():
            if s.status in ("ended", "cancelled"):
                raise errors.Conflict(f"the session is {s.status}; it cannot be rescheduled")
            zone = changes.get("timezone") or s.timezone
            start, end = resolve_times(
                changes.get("start") or _local(s.start, zone),
                changes.get("end") or _local(s.end, zone),
                zone,
            )
            if (start, end, zone) != (s.start, s.end, s.timezone):
                prev_start, prev_end = s.start, s.end
                s.start, s.end, s.timezone = start, end, zone
                s.ics_sequence += 1
                log.emit(
                    SessionRescheduled(
                        start=start,
                        end=end,
                        timezone=zone,
                        previous_start=prev_start,
                        previous_end=prev_end,
                    ),
                    [el.SESSION],
                )
        for key in ("title", "lobby_lead_s", "auto_live", "auto_end", "reminders_s"):
            if key in changes:
                setattr(s, key, changes[key])
        tx.add(s)
        await automation.plan(tx, s)
        return s

    s = await state.commands.run(session_id, work, by=caller.person_id)
    state.wake_timers()
    return s


def _local(instant, zone: str) -> str:
    """An already-stored instant, given back with its offset so it resolves to itself."""
    return instant.isoformat()


async def change_status(
    state: AppState, caller: Caller, session_id: str, target: str, *, late_s: float | None = None
) -> Session:
    async def work(tx: AsyncSession, s: Session, log: el.EventLog) -> Session:
        await load_session(tx, caller, session_id, Perm.session_moderate)
        try:
            check_transition(s.status, target)
        except StatusConflict as exc:
            raise errors.Conflict(str(exc), current=s.status) from None
        previous, s.status = s.status, target
        if target == "cancelled":
            # calendar programs apply a CANCEL only with a higher SEQUENCE (RFC 5546)
            s.ics_sequence += 1
        tx.add(s)
        log.emit(SessionStatus(status=target, previous=previous, late_s=late_s), [el.SESSION])
        await automation.plan(tx, s)
        return s

    s = await state.commands.run(session_id, work, by=caller.person_id)
    state.wake_timers()
    return s


async def broadcast(state: AppState, caller: Caller, session_id: str, body: BroadcastCreate):
    """Checked inside the write transaction (404/403, then 422, then 409): one
    transaction per broadcast, not a read transaction before it (the broadcast's
    fixed cost is what Convene adds to a fan-out; docs/performance.md)."""

    async def work(tx: AsyncSession, s: Session, log: el.EventLog):
        await load_session(tx, caller, session_id, Perm.session_moderate)
        if body.translations:  # the event's languages are read only to check them
            event = await tx.get(Event, s.event_id)
            known = {event.floor_language, *event.interpretation_languages}
            unknown = sorted(set(body.translations) - known)
            if unknown:
                raise errors.Invalid(
                    f"translations for {', '.join(unknown)}: the event's languages are "
                    f"{', '.join(sorted(known))}"
                )
        problem = require_active(s.status, "a broadcast")
        if problem:
            raise errors.Conflict(problem, current=s.status)
        rec = log.emit(
            BroadcastMessage(text=body.text, translations=body.translations), [el.SESSION]
        )
        return {"seq": rec.seq, "text": body.text, "translations": body.translations}

    return await state.commands.run(session_id, work, by=caller.person_id)
