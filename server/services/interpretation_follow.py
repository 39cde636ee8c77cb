"""Interpretation follows the rest of the session: the moves, arrivals, departures,
rounds and language changes each transaction stored, matched by their event classes
(``LogRecord.event``), become domain commands in the same transaction. Interpreters
follow a round into the language rooms of their booth (``booths_follow_round``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import interpretation as ip
from interpretation import commands as cmd

from .. import errors
from ..event_registry import REGISTRY
from ..eventlog import EventLog
from ..events import EventUpdated, PersonUpdated, PresenceJoined, PresenceLeft, RoomMoved
from ..models import InterpretationState, Person, Placement, Room, Session, Timer, utcnow
from ..timers import set_timer
from .interpretation_state import (
    LISTENER_GAP,
    RECONCILE_KIND,
    Loaded,
    _listeners,
    _offer_all,
    apply,
    load,
    save,
)

# the schemas of the round events are derived from the breakouts domain's dataclasses
BreakoutOpened, BreakoutClosed = REGISTRY["breakout.opened"], REGISTRY["breakout.closed"]
FOLLOWED = (
    RoomMoved,
    PresenceJoined,
    PresenceLeft,
    BreakoutOpened,
    BreakoutClosed,
    EventUpdated,
    PersonUpdated,
)

log_ = logging.getLogger("convene.interpretation")


async def follow(tx: AsyncSession, s: Session, log: EventLog) -> None:
    """Feed what this transaction stored (moves, presence, rounds, languages) to the
    interpretation state, in order."""
    relevant = [r for r in log.records if isinstance(r.event, FOLLOWED)]
    if not relevant:
        return
    relevant, deferred = await _split_arrivals(tx, relevant)
    if deferred:
        await set_timer(tx, RECONCILE_KIND, s.id, utcnow() + LISTENER_GAP, session_id=s.id)
        stored = select(InterpretationState.session_id).where(
            InterpretationState.session_id == s.id
        )
        if (await tx.exec(stored)).first() is None:
            await save(tx, await load(tx, s, arrivals=False))  # snapshots read its view
    if not relevant:
        return
    # arrivals still waiting are placed first: the view stored below is what snapshots
    # read, and its counts must include everyone the command's events speak of
    lo = await load(tx, s)
    before = lo.state
    run: dict[str, str] = {}  # consecutive moves, applied as one MovePeople

    async def flush() -> None:
        moves = tuple(
            (pid, room)
            for pid, room in run.items()
            if pid in lo.state.members and room in lo.state.rooms
        )
        run.clear()
        if moves:
            await apply(tx, lo, log, cmd.MovePeople(moves), counts=False)

    for rec in relevant:
        ev = rec.event
        if isinstance(ev, RoomMoved) and ev.to_room:
            run.pop(ev.person_id, None)
            run[ev.person_id] = ev.to_room
            continue
        await flush()
        for command in await _commands_for(tx, ev, lo):
            try:
                await apply(tx, lo, log, command, counts=False)
            except errors.Problem as exc:  # e.g. someone the state does not hold yet
                _skipped(command, exc, s)
                for single in _one_by_one(command):  # the rest of a round still opens
                    try:
                        await apply(tx, lo, log, single, counts=False)
                    except errors.Problem as exc:
                        _skipped(single, exc, s)
    await flush()
    await _listeners(tx, lo, log, before, utcnow())
    await save(tx, lo)
    _attach_channels(relevant, lo)


def _skipped(command, exc: errors.Problem, s: Session) -> None:
    """A command the state refused while following: the rest goes on, and it is said."""
    log_.info("interpretation skipped %r in session %s: %s", command, s.id, exc.detail)


def _attach_channels(records: list, lo: Loaded) -> None:
    """Each ``room.moved`` into a breakout room carries that room's channels as this
    transaction leaves them: the mover holds only the plenary's and their own room's,
    and a room opened in this transaction announced its channels to moderators only
    (``interpretation.events.channel_audience``). Later ``channel.updated`` of the same
    transaction replace what it carries, so a client ends where a snapshot would."""
    rooms = None
    for rec in records:
        to = rec.event.to_room if isinstance(rec.event, RoomMoved) else None
        if to is None or to == lo.state.plenary_id or to not in lo.state.rooms:
            continue
        if rooms is None:
            rooms = {r["room_id"]: r["channels"] for r in lo.row.view["rooms"]}
        rec.data = {**rec.data, "channels": rooms.get(to, [])}


async def _split_arrivals(tx: AsyncSession, records: list) -> tuple[list, bool]:
    """Participants arriving in the plenary and anyone's presence but interpreters'
    change nothing but listener counts, which travel at most once a second anyway:
    they are applied by one reconcile a second later instead of one state rewrite
    per connection (thousands join a plenary within seconds)."""
    arrivals = [
        r
        for r in records
        if isinstance(r.event, PresenceJoined | PresenceLeft)
        or (isinstance(r.event, RoomMoved) and r.event.from_room is None)
    ]
    if not arrivals:
        return records, False
    ids = {r.event.person_id for r in arrivals}
    interpreters = set(
        (
            await tx.exec(select(Person.id).where(Person.id.in_(ids), Person.role == "interpreter"))
        ).all()
    )
    # by identity: records compare field by field, which made this quadratic
    arriving = {id(r) for r in arrivals}
    keep = [r for r in records if id(r) not in arriving or r.event.person_id in interpreters]
    return keep, len(keep) < len(records)


async def reconcile(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    """Apply the arrivals deferred by ``follow``: everyone's room as the database has it."""
    lo = await load(tx, s)
    # plain rows: a thousand ORM instances cost ~2 ms more than the two columns used
    atts = (
        await tx.exec(
            select(Placement.person_id, Placement.room_id).where(Placement.session_id == s.id)
        )
    ).all()
    moves = tuple(
        (att.person_id, att.room_id)
        for att in atts
        if att.person_id in lo.state.members
        and att.room_id in lo.state.rooms
        and lo.state.members[att.person_id].room_id != att.room_id
    )
    if moves:
        await apply(tx, lo, log, cmd.MovePeople(moves), counts=False)
    _offer_all(lo, log, utcnow())  # counts that changed silently go out now
    await save(tx, lo)


async def _commands_for(tx: AsyncSession, ev, lo: Loaded) -> list:
    state = lo.state
    match ev:
        case RoomMoved(to_room=to) if to in state.rooms:
            return [cmd.MovePerson(ev.person_id, to)]
        case PresenceJoined() | PresenceLeft() if ev.person_id in state.members:
            return [cmd.ConnectionChanged(ev.person_id, isinstance(ev, PresenceJoined))]
        case BreakoutOpened():
            rooms = tuple((r.id, tuple(r.languages)) for r in ev.rooms if r.id not in state.rooms)
            return [cmd.OpenRooms(rooms)] if rooms else []
        case BreakoutClosed():
            rooms = await round_rooms(tx, lo.session, ev.round_id)
            gone = tuple(rid for rid in rooms if rid in state.rooms)
            return [cmd.CloseRooms(gone)] if gone else []
        case EventUpdated(changes={"interpretation_languages": languages}):
            return [cmd.SetLanguages(tuple(languages))]
        case PersonUpdated() if ev.person_id in state.members:
            directions = tuple(ev.interprets) if ev.role == "interpreter" else ()
            return [cmd.AddPerson(ev.person_id, directions)]
    return []


def _one_by_one(command) -> list:
    if isinstance(command, cmd.OpenRooms):
        return [cmd.OpenRoom(rid, langs) for rid, langs in command.rooms]
    if isinstance(command, cmd.CloseRooms):
        return [cmd.CloseRoom(rid) for rid in command.room_ids]
    return []


async def round_rooms(tx: AsyncSession, s: Session, round_id: str) -> list[str]:
    rows = (
        await tx.exec(select(Room.id).where(Room.session_id == s.id, Room.round_id == round_id))
    ).all()
    return list(rows)


# ---- interpreters follow into breakouts -------------------------------------------


def _interpreters(people: Mapping[str, Any]) -> list[ip.Interpreter]:
    """``people``: anything with ``role`` and ``interprets`` (ORM objects or rows)."""
    return [
        ip.Interpreter.of(pid, p.interprets)
        for pid, p in people.items()
        if p.role == "interpreter" and p.interprets
    ]


def booth_plan(people: Mapping[str, Any], rooms, floor_language: str):
    """Which interpreters go to which language room; which rooms nobody covers."""
    return ip.plan_booths(
        [(r.id, r.languages) for r in rooms if r.languages],
        _interpreters(people),
        floor_language=floor_language,
    )


def gaps(people: Mapping[str, Any], rooms, floor_language: str) -> list[dict]:
    names = {r.id: r.name for r in rooms}
    plan = booth_plan(people, rooms, floor_language)
    return [
        {"room_id": rid, "name": names.get(rid), "language": lang} for rid, lang in plan.uncovered
    ]


def round_notes(people: Mapping[str, Any], rooms, floor_language: str) -> dict:
    """What a moderator learns of a round they plan: the language rooms nobody covers."""
    return {"uncovered": gaps(people, rooms, floor_language)}


async def booths_follow_round(tx, st, round_) -> dict[str, str]:
    """When a round opens, each language room gets interpreters of that booth
    (partners kept together where there are enough); they come back with everyone.
    Returns the extra moves; the round's opening stores them with its own."""
    floor = st.rows[round_.id].floor_language or ""
    plan = booth_plan(st.interpreters, round_.rooms, floor)
    return {pid: room_id for room_id, pids in plan.assignments.items() for pid in pids}
