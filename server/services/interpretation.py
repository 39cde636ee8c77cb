"""Interpretation commands, one function per command: inside one ``commands.run``
each authorises (404/403), validates (422), checks the session's status (409), loads
the channel state, applies one domain command and stores it (``interpretation_state``).
What interpretation does when others move people is in ``interpretation_follow``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import interpretation as ip
from interpretation import commands as cmd
from interpretation.samples import add_samples
from interpretation.state import with_samples
from scheduler.status import require_active

from .. import errors
from ..auth import Caller, Perm, load_session
from ..eventlog import EventLog
from ..jsonish import utc_json
from ..models import Event, Person, Room, Session, utcnow
from ..schemas_interpretation import FloorSet, HandoverCreate, ListeningSet
from ..state import AppState
from .interpretation_state import Loaded, apply, load, save, stored_samples

Make = Callable[[AsyncSession, Loaded], Awaitable[object]]


async def _run(
    state: AppState,
    caller: Caller,
    session_id: str,
    perm: Perm,
    make: Make,
    *,
    active: str | None = None,
    language: str | None = None,
):
    """The one transaction of an interpretation command: authorise on the locked
    session, check the path's language (404) and the session's status (409), load
    the channel state, apply ``make``'s domain command (its own 404/422/409), store."""

    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, perm)
        event = await tx.get(Event, s.event_id)
        languages = [event.floor_language, *event.interpretation_languages]
        if language is not None and language not in languages:
            raise errors.NotFound(
                f"this event has no {language!r} channel; its languages are {', '.join(languages)}"
            )
        if active:
            problem = require_active(s.status, active)
            if problem:
                raise errors.Conflict(problem, current=s.status)
        lo = await load(tx, s)
        command = await make(tx, lo)
        outcome = await apply(tx, lo, log, command)
        await save(tx, lo)
        return lo, outcome

    lo, outcome = await state.commands.run(session_id, work, by=caller.person_id)
    state.wake_timers()
    return lo, outcome


def _person(caller: Caller) -> str:
    if caller.person_id is None:
        raise errors.Forbidden(
            "the admin token is not a person: use the token of the person who acts"
        )
    return caller.person_id


def _known_language(lo: Loaded, language: str) -> None:
    langs = lo.state.event_languages
    if language not in langs:
        raise errors.Invalid(
            f"language {language!r} is not a language of this event ({', '.join(langs)})"
        )


def _room_of(lo: Loaded, pid: str, hint: str = "") -> str:
    room = lo.state.members[pid].room_id if pid in lo.state.members else None
    if room is None:
        raise errors.Conflict("you are in no room of this session yet" + hint)
    return room


def _channel(lo: Loaded, room: str, language: str) -> dict:
    channels = ip.room_view(lo.state, room)["channels"]
    return utc_json(next(c for c in channels if c["language"] == language))


# ---- commands ---------------------------------------------------------------------------


async def set_floor(state: AppState, caller: Caller, session_id: str, body: FloorSet) -> dict:
    """The language now spoken on a room's floor (default: the plenary). Sources of
    every channel of that room are recomputed at once; uncovered ones are listed."""

    async def make(tx: AsyncSession, lo: Loaded):
        _known_language(lo, body.language)
        room = body.room_id or lo.session.plenary_room_id
        if room not in lo.state.rooms:
            raise errors.NotFound(f"room {room} is not open in this session")
        return cmd.SetFloor(room, body.language)

    lo, outcome = await _run(
        state, caller, session_id, Perm.session_moderate, make, active="changing the floor language"
    )
    room = body.room_id or lo.session.plenary_room_id
    return {
        "room_id": room,
        "floor_language": body.language,
        "uncovered": list(getattr(outcome, "uncovered", [])),
        "channels": utc_json(ip.room_view(lo.state, room)["channels"]),
    }


async def set_listening(
    state: AppState, caller: Caller, session_id: str, body: ListeningSet
) -> dict:
    """The channel the caller hears (the floor language means the original)."""
    pid = _person(caller)

    async def make(tx: AsyncSession, lo: Loaded):
        _known_language(lo, body.language)
        return cmd.SetListening(pid, body.language)

    lo, outcome = await _run(state, caller, session_id, Perm.channel_listen, make)
    member = lo.state.members.get(pid)
    fallback = next(
        (e.data().get("fallback_reason") for e in outcome.events if e.type == "listening.changed"),
        None,
    )
    return {
        "person_id": pid,
        "language": member.listening if member else body.language,
        "fallback_reason": fallback,
    }


async def _speak(state, caller, session_id: str, language: str, what: str, build) -> dict:
    """``build(person, room, language)``: a command of the interpreter on their channel."""
    pid = _person(caller)

    async def make(tx: AsyncSession, lo: Loaded):
        room = _room_of(lo, pid, ": connect to its WebSocket first")
        return build(pid, room, language)

    lo, _ = await _run(
        state,
        caller,
        session_id,
        Perm.channel_speak,
        make,
        active=f"going {what}",
        language=language,
    )
    room = lo.state.members[pid].room_id
    return {"room_id": room, "channel": _channel(lo, room, language)}


async def go_on_air(state: AppState, caller: Caller, session_id: str, language: str) -> dict:
    return await _speak(state, caller, session_id, language, "on-air", cmd.GoOnAir)


async def go_off_air(state: AppState, caller: Caller, session_id: str, language: str) -> dict:
    return await _speak(state, caller, session_id, language, "off-air", cmd.GoOffAir)


async def accept_handover(state: AppState, caller: Caller, session_id: str, language: str) -> dict:
    return await _speak(state, caller, session_id, language, "handover-accept", cmd.AcceptHandover)


async def request_handover(
    state: AppState, caller: Caller, session_id: str, language: str, body: HandoverCreate
) -> dict:
    """The live interpreter asks a booth partner to take over."""
    pid = _person(caller)

    async def make(tx: AsyncSession, lo: Loaded):
        partner = await tx.get(Person, body.to)
        if partner is None or partner.event_id != lo.event.id:
            raise errors.NotFound(f"person {body.to} does not exist in this event")
        return cmd.RequestHandover(pid, body.to, _room_of(lo, pid), language)

    lo, outcome = await _run(
        state,
        caller,
        session_id,
        Perm.channel_speak,
        make,
        active="a handover",
        language=language,
    )
    req = next((e.data() for e in outcome.events if e.type == "handover.requested"), None)
    return utc_json(req or {})


# ---- reads: one read transaction, nothing written -------------------------------------------


async def list_channels(state: AppState, caller: Caller, session_id: str) -> dict:
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        lo = await load(tx, s)
        names = dict(
            (await tx.exec(select(Room.id, Room.name).where(Room.session_id == s.id))).all()
        )
    view = ip.channels_view(lo.state)
    for room in view["rooms"]:
        room["name"] = names.get(room["room_id"])
    return utc_json(view)


async def get_report(state: AppState, caller: Caller, session_id: str) -> dict:
    """On-air minutes per interpreter and language; listeners over time per channel."""
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.people_read)
        lo = await load(tx, s)
        stored = await stored_samples(tx, s.id)
    # with what this read took in memory (people not counted yet), as a command would
    state = with_samples(lo.state, add_samples(stored, list(lo.state.samples)))
    return utc_json(ip.report(state, utcnow()))
