"""Breakout commands, one function per command: inside one ``commands.run`` each
authorises (404/403), validates (422), loads the session's breakout state, calls the
pure ``breakouts`` domain (409 from its transition table) and stores what changed
with its events (``breakout_state``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import breakouts as bo
from scheduler.status import require_active

from .. import errors
from ..auth import Caller, Perm, Role, load_session
from ..eventlog import EventLog
from ..models import BreakoutRound, Event, Person, Placement, Session, Timer, utcnow
from ..schemas_breakouts import BreakoutCreate, MoveCreate, PlanExchange, PlanMove, PlanReplace
from ..state import AppState
from .breakout_state import (
    TIMER_KINDS,
    BreakoutState,
    domain_error,
    emit,
    emit_bulk,
    emit_counts,
    load,
    participant_view,
    save_placement,
    save_round,
    to_domain,
    view,
)

__all__ = ["TIMER_KINDS", "load", "participant_view", "to_domain", "view"]

Change = Callable[[AsyncSession, BreakoutState, EventLog], Awaitable[object]]


async def _run(
    state: AppState,
    caller: Caller,
    session_id: str,
    perm: Perm,
    change: Change,
    round_id: str | None = None,
    *,
    people: bool = True,
):
    """The one transaction of a breakout command: the caller is authorised on the
    locked session, the breakout state loaded (``round_id``: a command on that round
    alone, which reads only it and the active rounds; ``people=False``: one that reads
    no one but the interpreters), domain errors answered as problems."""

    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, perm)
        st = await load(tx, s, round_id, people=people)
        try:
            return await change(tx, st, log)
        except bo.BreakoutError as exc:
            raise domain_error(exc) from None

    result = await state.commands.run(session_id, work, by=caller.person_id)
    state.wake_timers()
    return result


def _require_open_session(s: Session, what: str) -> None:
    problem = require_active(s.status, what)
    if problem:
        raise errors.Conflict(problem, current=s.status)


def _require_not_final(s: Session, what: str) -> None:
    if s.status in ("ended", "cancelled"):
        raise errors.Conflict(f"the session is {s.status}: {what} is no longer possible")


def _known(st: BreakoutState, *person_ids: str) -> None:
    for pid in person_ids:
        if pid not in st.people:
            raise errors.NotFound(f"person {pid} does not exist in this event")


def _planned(state: AppState, st: BreakoutState, r: bo.Round, floor_language: str) -> dict:
    """The moderator's view of a new round, with what features note about it (the
    language rooms no interpreter can cover: the round may still be opened)."""
    v = {**view(st, r, staff=True), "uncovered": []}
    for note in state.wiring.on_round_planned:
        v.update(note(st.people, r.rooms, floor_language))
    return v


# ---- reads ------------------------------------------------------------------------------


async def list_rounds(state: AppState, caller: Caller, session_id: str) -> list[dict]:
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        st = await load(tx, s, people=False)
    return [view(st, r, staff=caller.is_staff, viewer=caller.person_id) for r in st.rounds.values()]


async def get_round(state: AppState, caller: Caller, session_id: str, round_id: str) -> dict:
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        st = await load(tx, s, people=False)
    return view(st, st.round(round_id), staff=caller.is_staff, viewer=caller.person_id)


# ---- planning -----------------------------------------------------------------------------


async def create_round(
    state: AppState, caller: Caller, session_id: str, body: BreakoutCreate
) -> dict:
    round_id = str(uuid.uuid4())

    async def change(tx: AsyncSession, st: BreakoutState, log: EventLog) -> dict:
        _require_not_final(st.session, "planning a breakout round")
        event = await tx.get(Event, st.session.event_id)
        rooms = None
        if body.rooms is not None:
            rooms = [bo.RoomDraft(r.name, tuple(r.languages), r.capacity) for r in body.rooms]
        new, events = bo.create_round(
            round_id=round_id,
            session_id=st.session.id,
            strategy=body.strategy,
            members=st.members.values(),
            event_languages=[event.floor_language, *event.interpretation_languages],
            floor_language=event.floor_language,
            now=utcnow(),
            count=body.count,
            rooms=rooms,
            duration_s=body.duration_s,
            countdown_s=body.countdown_s,
            allow_return=body.allow_return,
            plan=body.plan,
        )
        await save_round(tx, st, new)
        emit(log, events)
        return _planned(state, st, new, event.floor_language)

    # scoped to the new round: the finished rounds of a long session (each with its
    # plan of everyone and its rooms) are not read to plan another
    return await _run(state, caller, session_id, Perm.session_moderate, change, round_id)


async def recreate_round(state: AppState, caller: Caller, session_id: str, round_id: str) -> dict:
    """The same rooms and plan as a finished round; like creating, the answer says
    which language rooms no interpreter can cover."""

    async def change(tx: AsyncSession, st: BreakoutState, log: EventLog) -> dict:
        _require_not_final(st.session, "planning a breakout round")
        new, events = bo.recreate_round(st.round(round_id), str(uuid.uuid4()), now=utcnow())
        await save_round(tx, st, new)
        emit(log, events)
        event = await tx.get(Event, st.session.event_id)
        return _planned(state, st, new, new.floor_language or event.floor_language)

    return await _run(state, caller, session_id, Perm.session_moderate, change, round_id)


async def _edit_plan(state, caller, session_id: str, round_id: str, edit) -> dict:
    """``edit(round, st) -> (round, events)``: a planned round's plan changes."""

    async def change(tx: AsyncSession, st: BreakoutState, log: EventLog) -> dict:
        _require_not_final(st.session, "planning a breakout round")
        new, events = edit(st.round(round_id), st)
        await save_round(tx, st, new)
        emit(log, events)
        return view(st, new, staff=True)

    return await _run(state, caller, session_id, Perm.session_moderate, change, round_id)


async def plan_move(
    state: AppState, caller: Caller, session_id: str, round_id: str, body: PlanMove
) -> dict:
    def edit(r: bo.Round, st: BreakoutState):
        _known(st, body.person_id)
        return bo.plan_move(r, body.person_id, body.room_id, st.members)

    return await _edit_plan(state, caller, session_id, round_id, edit)


async def plan_exchange(
    state: AppState, caller: Caller, session_id: str, round_id: str, body: PlanExchange
) -> dict:
    def edit(r: bo.Round, st: BreakoutState):
        _known(st, body.person_a, body.person_b)
        return bo.plan_exchange(r, body.person_a, body.person_b, st.members)

    return await _edit_plan(state, caller, session_id, round_id, edit)


async def replace_plan(
    state: AppState, caller: Caller, session_id: str, round_id: str, ctype: str, raw: bytes
) -> dict:
    """The whole plan: ``text/csv`` (``email,room`` or ``name,room``; every bad line is
    listed and nothing applied) or JSON ``PlanReplace``."""

    def edit(r: bo.Round, st: BreakoutState):
        if ctype == "text/csv":
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise errors.Invalid("the CSV must be UTF-8 text") from None
            assignments = bo.parse_assignment_csv(text, st.members.values(), r.rooms)
            return bo.apply_plan(r, assignments, st.members, replace_all=True)
        try:
            body = PlanReplace.model_validate_json(raw)
        except ValueError as exc:
            raise errors.Invalid(
                f"send text/csv, or JSON {{'assignments': {{person_id: room_id}}}}: {exc}"
            ) from None
        _known(st, *body.assignments)
        return bo.apply_plan(r, body.assignments, st.members, replace_all=body.replace)

    return await _edit_plan(state, caller, session_id, round_id, edit)


# ---- the round's life ---------------------------------------------------------------------


async def open_round(state: AppState, caller: Caller, session_id: str, round_id: str) -> dict:
    async def change(tx: AsyncSession, st: BreakoutState, log: EventLog) -> dict:
        _require_open_session(st.session, "opening a breakout round")
        r = st.round(round_id)
        companions: dict[str, str] = {}
        for hook in state.wiring.on_round_open:  # interpreters into their language rooms
            companions.update(await hook(tx, st, r))
        new, placement, events = bo.open_round(
            r,
            st.placement,
            plenary_id=st.plenary_id,
            now=utcnow(),
            session_rounds=st.rounds.values(),
            companions=companions,
        )
        await save_round(tx, st, new)
        await save_placement(tx, st, placement)
        emit_bulk(log, st, events)
        return view(st, new, staff=True)

    return await _run(
        state, caller, session_id, Perm.session_moderate, change, round_id, people=False
    )


async def _step(state, caller, session_id: str, round_id: str, step) -> dict:
    """``step(round, now=) -> (round, events)``: a change in which no one moves."""

    async def change(tx: AsyncSession, st: BreakoutState, log: EventLog) -> dict:
        new, events = step(st.round(round_id), now=utcnow())
        await save_round(tx, st, new)
        emit(log, events)
        return view(st, new, staff=True)

    return await _run(
        state, caller, session_id, Perm.session_moderate, change, round_id, people=False
    )


async def close_round(state: AppState, caller: Caller, session_id: str, round_id: str) -> dict:
    """The countdown starts; everyone returns when it ends."""
    return await _step(state, caller, session_id, round_id, bo.begin_close)


async def cancel_close(state: AppState, caller: Caller, session_id: str, round_id: str) -> dict:
    return await _step(state, caller, session_id, round_id, bo.cancel_close)


async def cancel_round(state: AppState, caller: Caller, session_id: str, round_id: str) -> dict:
    return await _step(state, caller, session_id, round_id, bo.cancel_round)


async def extend_round(
    state: AppState, caller: Caller, session_id: str, round_id: str, seconds: int
) -> dict:
    def step(r: bo.Round, now):
        return bo.extend_round(r, seconds, now=now)

    return await _step(state, caller, session_id, round_id, step)


# ---- moves --------------------------------------------------------------------------------


async def move_person(state: AppState, caller: Caller, session_id: str, body: MoveCreate) -> dict:
    """Moderators move anyone; a participant moves itself where the round allows."""
    person_id, room_id = body.person_id, body.room_id

    async def change(tx: AsyncSession, st: BreakoutState, log: EventLog) -> dict:
        _require_open_session(st.session, "moving people")
        _known(st, person_id)
        if room_id != st.plenary_id and room_id not in st.rooms:
            raise errors.NotFound(f"room {room_id} does not exist in this session")
        actor = (
            bo.Member(person_id="admin", role=bo.Role.MODERATOR)
            if caller.is_admin
            else st.members[caller.person_id]
        )
        # The round the target room belongs to, when it is not the open one: the
        # domain refuses a planned round's room with 409 (not "no such room").
        round_ = st.active
        if room_id != st.plenary_id and (round_ is None or room_id not in round_.room_ids):
            round_ = next((r for r in st.rounds.values() if room_id in r.room_ids), round_)
        placement, events = bo.move(
            st.placement, round_, actor, person_id, room_id, st.plenary_id, members=st.members
        )
        if events:
            await save_placement(tx, st, placement)
            emit(log, events)
            emit_counts(log, st)
            for hook in state.wiring.on_move:  # a moderator arriving resolves help requests
                await hook(tx, st, log, person_id, room_id)
        return {"person_id": person_id, "room_id": st.placement.get(person_id)}

    return await _run(state, caller, session_id, Perm.move_self, change)


# ---- the durable round timer ----------------------------------------------------------


async def fire(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    st = await load(tx, s, timer.target, people=False)
    r = st.rounds.get(timer.target)
    if r is None:
        return
    new, placement, events = bo.fire_timer(
        r,
        st.placement,
        bo.Timer(r.id, bo.TimerKind(timer.kind), timer.due_at),
        plenary_id=st.plenary_id,
        now=utcnow(),
    )
    if not events:
        return
    await save_round(tx, st, new)
    await save_placement(tx, st, placement)
    emit_bulk(log, st, events, late_s=late_s)


# ---- latecomers -----------------------------------------------------------------------


def _placed_first(tx, log: EventLog) -> set[str]:
    """Who ``log`` has placed for the first time (a ``room.moved`` from nowhere), read
    on from where the last call stopped: a batch of 500 arrivals scanned every record
    for every arrival (125,000 looks, ~50 us an arrival)."""
    key = ("placed_first", id(log))
    seen = tx.info.get(key)
    if seen is None:
        seen = tx.info[key] = [0, set()]
    for r in log.records[seen[0] :]:
        if r.type == "room.moved" and r.data.get("from_room") is None:
            seen[1].add(r.data.get("person_id"))
    seen[0] = len(log.records)
    return seen[1]


async def place_latecomer(tx, s: Session, person: Person, att: Placement, log: EventLog) -> None:
    """A participant joining for the first time while a round is open goes where the
    round's strategy puts them (they learn it from their snapshot)."""
    if person.role != Role.PARTICIPANT:
        return
    if person.id not in _placed_first(tx, log):
        return
    key = ("open_round", s.id)  # once per transaction: arrivals come in batches
    if key not in tx.info:
        tx.info[key] = (
            await tx.exec(
                select(BreakoutRound.id).where(
                    BreakoutRound.session_id == s.id, BreakoutRound.status == "open"
                )
            )
        ).first()
    if tx.info[key] is None:  # the common case, and the cheap one: no full load per join
        return
    st = await load(tx, s)
    active = st.active
    if active is None or active.status is not bo.RoundStatus.OPEN:
        return
    without = bo.Placement({p: r for p, r in st.placement.items() if p != person.id})
    placement, events = bo.join_late(
        active, st.members[person.id], without, st.members, plenary_id=st.plenary_id
    )
    moved = st.placement.get(person.id) != placement.get(person.id)
    if moved:
        await save_placement(tx, st, placement)
        att.room_id = placement[person.id]
    emit(log, events)
    if moved:
        emit_counts(log, st)
