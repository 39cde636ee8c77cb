"""Interpretation: floor language, listening, channels, on-air, handover, report."""

from __future__ import annotations

from fastapi import APIRouter

from interpretation import commands as cmd
from scheduler.status import require_active

from .. import errors
from ..auth import Caller, Perm, load_session
from ..deps import CallerDep, StateDep
from ..models import Event, Person
from ..responses import (
    ChannelsView,
    FloorChanged,
    HandoverAsked,
    InterpretationReport,
    ListeningChanged,
    SpeakerResult,
    model,
)
from ..schemas import FloorSet, HandoverCreate, ListeningSet
from ..services import interpretation as svc
from ..state import AppState

router = APIRouter(tags=["interpretation"])

BASE = "/api/sessions/{session_id}"


def _needs_person(caller: Caller) -> str:
    if caller.person_id is None:
        raise errors.Forbidden(
            "the admin token is not a person: use the token of the person who acts"
        )
    return caller.person_id


async def _run(
    state: AppState,
    caller: Caller,
    session_id: str,
    perm: Perm,
    make,
    *,
    active: str | None = None,
    path_language: str | None = None,
):
    """Authorise, then in one transaction: load the channel state, apply, store."""
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, perm)
        event = await tx.get(Event, s.event_id)
    if path_language is not None and path_language not in {
        event.floor_language,
        *event.interpretation_languages,
    }:
        raise errors.NotFound(
            f"this event has no {path_language!r} channel; its languages are "
            f"{', '.join([event.floor_language, *event.interpretation_languages])}"
        )

    async def work(tx, s, log):
        if active:
            problem = require_active(s.status, active)
            if problem:
                raise errors.Conflict(problem, current=s.status)
        lo = await svc.load(tx, s)
        command = await make(tx, lo)
        outcome = await svc.apply(tx, lo, log, command)
        await svc.save(tx, lo)
        return lo, outcome

    lo, outcome = await state.commands.run(session_id, work, by=caller.person_id)
    state.wake_timers()
    return lo, outcome


@router.put(BASE + "/floor", responses=model(200, FloorChanged))
async def set_floor(session_id: str, body: FloorSet, caller: CallerDep, state: StateDep):
    """The language now spoken on a room's floor (default: the plenary). Sources of
    every channel of that room are recomputed at once; uncovered ones are listed."""

    async def make(tx, lo):
        langs = lo.state.event_languages
        if body.language not in langs:
            raise errors.Invalid(
                f"language {body.language!r} is not a language of this event ({', '.join(langs)})"
            )
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
        "channels": svc.utc_json(svc.ip.room_view(lo.state, room)["channels"]),
    }


@router.put(BASE + "/listening", responses=model(200, ListeningChanged))
async def set_listening(session_id: str, body: ListeningSet, caller: CallerDep, state: StateDep):
    """The channel the caller hears (the floor language means the original)."""
    pid = _needs_person(caller)

    async def make(tx, lo):
        if body.language not in lo.state.event_languages:
            raise errors.Invalid(
                f"language {body.language!r} is not a language of this event "
                f"({', '.join(lo.state.event_languages)})"
            )
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


@router.get(BASE + "/channels", responses=model(200, ChannelsView))
async def list_channels(session_id: str, caller: CallerDep, state: StateDep):
    async with state.db.write() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        return await svc.channels(tx, s)


def _speaker_command(name: str, build):
    async def endpoint(session_id: str, language: str, caller: CallerDep, state: StateDep):
        pid = _needs_person(caller)

        async def make(tx, lo):
            room = lo.state.members[pid].room_id if pid in lo.state.members else None
            if room is None:
                raise errors.Conflict(
                    "you are in no room of this session yet: connect to its WebSocket first"
                )
            return build(pid, room, language)

        lo, outcome = await _run(
            state,
            caller,
            session_id,
            Perm.channel_speak,
            make,
            active=f"going {name}",
            path_language=language,
        )
        room = lo.state.members[pid].room_id
        ch = next(
            c for c in svc.ip.room_view(lo.state, room)["channels"] if c["language"] == language
        )
        return {"room_id": room, "channel": svc.utc_json(ch)}

    endpoint.__name__ = name.replace("-", "_")
    return endpoint


SPOKE = model(200, SpeakerResult)
router.post(BASE + "/channels/{language}/on-air", responses=SPOKE)(
    _speaker_command("on-air", lambda pid, room, lang: cmd.GoOnAir(pid, room, lang))
)
router.post(BASE + "/channels/{language}/off-air", responses=SPOKE)(
    _speaker_command("off-air", lambda pid, room, lang: cmd.GoOffAir(pid, room, lang))
)
router.post(BASE + "/channels/{language}/handover/accept", responses=SPOKE)(
    _speaker_command("handover-accept", lambda pid, room, lang: cmd.AcceptHandover(pid, room, lang))
)


@router.post(
    BASE + "/channels/{language}/handover", status_code=201, responses=model(201, HandoverAsked)
)
async def request_handover(
    session_id: str, language: str, body: HandoverCreate, caller: CallerDep, state: StateDep
):
    """The live interpreter asks a booth partner to take over."""
    pid = _needs_person(caller)

    async def make(tx, lo):
        partner = await tx.get(Person, body.to)
        if partner is None or partner.event_id != lo.event.id:
            raise errors.NotFound(f"person {body.to} does not exist in this event")
        room = lo.state.members[pid].room_id if pid in lo.state.members else None
        if room is None:
            raise errors.Conflict("you are in no room of this session yet")
        return cmd.RequestHandover(pid, body.to, room, language)

    lo, outcome = await _run(
        state,
        caller,
        session_id,
        Perm.channel_speak,
        make,
        active="a handover",
        path_language=language,
    )
    req = next((e.data() for e in outcome.events if e.type == "handover.requested"), None)
    return svc.utc_json(req or {})


@router.get(BASE + "/interpretation/report", responses=model(200, InterpretationReport))
async def interpretation_report(session_id: str, caller: CallerDep, state: StateDep):
    """On-air minutes per interpreter and language; listeners over time per channel."""
    async with state.db.write() as tx:
        s = await load_session(tx, caller, session_id, Perm.people_read)
        return await svc.report(tx, s)
