"""Interpretation commands: the session's channel state is one JSON row, loaded and
written under the session lock; the pure ``interpretation`` domain decides.

The state follows everything else that happens in the session by reading the
events each transaction stores (``follow``): moves, presence, rounds opening and
closing, languages changed late. So a breakout move or a presence change updates
channels, listeners and on-air in the same transaction that stored it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import interpretation as ip
from interpretation import commands as cmd
from interpretation import serialization
from interpretation.views import all_listener_counts

from .. import errors
from .. import eventlog as el
from ..event_registry import coerce
from ..eventlog import EventLog
from ..jsonish import utc_json
from ..models import (
    Event,
    InterpretationState,
    Person,
    Placement,
    PresenceLease,
    Room,
    Session,
    Timer,
    utcnow,
)
from ..timers import on_timer, set_timer

TIMER_KIND = "interpretation"
LISTENERS_KIND = "interpretation.listeners"
LISTENER_GAP = dt.timedelta(seconds=1)


def domain_error(exc: ip.InterpretationError) -> errors.Problem:
    return errors.from_domain(exc.kind.value, exc.detail)


def settings_of(event: Event) -> ip.Settings:
    return ip.Settings(
        handover_timeout_s=float(event.handover_timeout_s),
        dropout_grace_s=float(event.dropout_grace_s),
        turn_s=float(event.turn_s),
    )


def _listens(person: Person, event: Event) -> str | None:
    """Participants and moderators ask for their own language (kept while the event
    has no channel for it: they hear it once it is added)."""
    if person.role in ("observer", "interpreter"):
        return None
    return person.language or event.floor_language


class Loaded:
    """The state of one session plus what is needed to store it back."""

    def __init__(self, session: Session, event: Event, row: InterpretationState, state):
        self.session = session
        self.event = event
        self.row = row
        self.state: ip.SessionInterpretation = state
        self.listeners_due: dt.datetime | None = None  # a room's counts wait until then


async def _bootstrap(tx: AsyncSession, s: Session, event: Event) -> ip.SessionInterpretation:
    """The state of a session that had none yet, from what the database knows."""
    now = utcnow()
    state = ip.new_session(
        s.plenary_room_id,
        event.floor_language,
        event.interpretation_languages,
        now,
        settings_of(event),
    )
    rooms = (
        await tx.exec(select(Room).where(Room.session_id == s.id, Room.round_id.is_not(None)))
    ).all()
    atts = (await tx.exec(select(Placement).where(Placement.session_id == s.id))).all()
    used = {a.room_id for a in atts}
    for room in rooms:
        if room.id in used:
            state = ip.open_room(state, room.id, room.languages, now).state
    return state


async def load(tx: AsyncSession, s: Session, *, arrivals: bool = True) -> Loaded:
    event = await tx.get(Event, s.event_id)
    row = await tx.get(InterpretationState, s.id)
    if row is None:
        row = InterpretationState(session_id=s.id, state={}, listeners_sent={})
        state = await _bootstrap(tx, s, event)
        fresh = True
    else:
        state = serialization.from_dict(row.state)
        fresh = False
    if state.settings != settings_of(event):
        state = ip.configure(state, settings_of(event))
    loaded = Loaded(s, event, row, state)
    await _sync_people(tx, loaded, fresh)
    if arrivals:
        await _take_arrivals(tx, loaded)
    return loaded


async def _take_arrivals(tx: AsyncSession, lo: Loaded) -> None:
    """Before a command or a read, arrivals still waiting for their reconcile are
    placed (silently: arriving in a room changes only listener counts)."""
    waiting = (
        await tx.exec(
            select(Timer.id).where(
                Timer.kind == RECONCILE_KIND,
                Timer.target == lo.session.id,
                Timer.done_at.is_(None),
            )
        )
    ).first()
    if waiting is None:
        return
    now = utcnow()
    atts = (await tx.exec(select(Placement).where(Placement.session_id == lo.session.id))).all()
    state = lo.state
    moves = {  # only first arrivals of non-interpreters were deferred
        att.person_id: att.room_id
        for att in atts
        if att.person_id in state.members
        and att.person_id not in state.interpreters
        and att.room_id in state.rooms
        and state.members[att.person_id].room_id is None
    }
    if moves:
        lo.state = ip.move_people(state, moves, now).state


async def _sync_people(tx: AsyncSession, lo: Loaded, fresh: bool) -> None:
    """People created after the state was made join it silently (no events)."""
    now = utcnow()
    count = (
        await tx.exec(
            select(func.count()).select_from(Person).where(Person.event_id == lo.event.id)
        )
    ).one()
    if not fresh and count == len(lo.state.members):
        return
    people = (await tx.exec(select(Person).where(Person.event_id == lo.event.id))).all()
    missing = [p for p in people if p.id not in lo.state.members]
    if not missing:
        return
    atts = {
        a.person_id: a
        for a in (
            await tx.exec(select(Placement).where(Placement.session_id == lo.session.id))
        ).all()
    }
    online = set(
        (
            await tx.exec(
                select(PresenceLease.person_id).where(
                    PresenceLease.session_id == lo.session.id, PresenceLease.expires_at > now
                )
            )
        ).all()
    )
    newcomers = []
    for p in missing:
        att = atts.get(p.id)
        newcomers.append(
            ip.Newcomer(
                p.id,
                tuple(p.interprets),
                (att.listening if att and att.listening else None) or _listens(p, lo.event),
                att.room_id if att else None,
                p.id in online,
            )
        )
    lo.state = ip.add_people(lo.state, newcomers, now).state


async def save(tx: AsyncSession, lo: Loaded) -> None:
    lo.row.state = serialization.to_dict(lo.state)
    lo.row.view = utc_json(ip.channels_view(lo.state))
    lo.row.listeners_sent = dict(lo.row.listeners_sent)
    tx.add(lo.row)
    await _sync_timers(tx, lo)
    await _defer_listeners(tx, lo)


def emit(tx: AsyncSession, lo: Loaded, log: EventLog, before, events: Iterable, now=None) -> None:
    """Store domain events, stamped with the instant the domain decided at (so the
    report's on-air history and the events' ``at`` agree); ``listening.changed``
    also says what the person heard before (``previous``)."""
    for ev in events:
        data = ev.data()
        if ev.type == "listening.changed":
            old = before.members.get(data["person_id"])
            data["previous"] = old.listening if old else None
        log.emit(coerce(ev.type, data), ev.audience, at=now)


async def _update_placements(tx: AsyncSession, lo: Loaded, events: Iterable) -> None:
    """Rooms keep their floor language; their placement keeps the language the person
    chose (what the breakout rules read), not the floor language they hear while
    their room has no channel for it; the snapshot derives what they hear from their
    room's channels."""
    for ev in events:
        if ev.type == "floor.language":  # the room row says what its floor speaks now
            data = ev.data()
            room = await tx.get(Room, data["room_id"])
            if room is not None and room.session_id == lo.session.id:
                room.floor_language = data["language"]
                tx.add(room)
            continue
        if ev.type != "listening.changed":
            continue
        pid = ev.data()["person_id"]
        member = lo.state.members.get(pid)
        att = await tx.get(Placement, (lo.session.id, pid))
        if att is not None and member is not None and member.chosen is not None:
            att.listening = member.chosen
            tx.add(att)


async def apply(
    tx: AsyncSession, lo: Loaded, log: EventLog, command, now=None, *, counts: bool = True
):
    """One domain command: new state, events stored, listener counts coalesced
    (``counts=False`` in a batch: the caller offers the counts once at its end)."""
    now = now or utcnow()
    before = lo.state
    try:
        outcome = ip.apply(lo.state, command, now)
    except ip.InterpretationError as exc:
        raise domain_error(exc) from None
    lo.state = outcome.state
    emit(tx, lo, log, before, outcome.events, now)
    await _update_placements(tx, lo, outcome.events)
    if counts:
        await _listeners(tx, lo, log, before, now)
    return outcome


# ---- listener counts: at most one stored listeners.changed per room per second ------


def _all_counts(state) -> dict[str, dict[str, int]]:
    """Listeners per channel of every room, in one pass over the members."""
    flat = all_listener_counts(state)
    out: dict[str, dict[str, int]] = {rid: {} for rid in state.rooms}
    for rid in state.rooms:
        for lang in state.room_languages(rid):
            out[rid][lang] = flat.get(ip.ChannelKey(rid, lang), 0)
    return out


def _listener_audience(state, room_id: str) -> list[str]:
    langs = state.room_languages(room_id) if room_id in state.rooms else ()
    return [el.MODERATORS, *(el.channel(room_id, lang) for lang in langs)]


async def _listeners(tx, lo: Loaded, log: EventLog, before, now: dt.datetime) -> None:
    old, new = _all_counts(before), _all_counts(lo.state)
    for room_id in set(old) | set(new):
        if old.get(room_id) != new.get(room_id):
            _offer(lo, log, room_id, now, new.get(room_id, {}))


def _offer(lo: Loaded, log: EventLog, room_id: str, now: dt.datetime, counts: dict) -> None:
    """Store ``listeners.changed`` for a room now, or, within a second of the last one,
    note when it may go (``save`` sets one timer for the whole session)."""
    sent = lo.row.listeners_sent.get(room_id)
    if sent and sent.get("counts") == counts:
        return
    last = dt.datetime.fromisoformat(sent["at"]) if sent else None
    if last is None or now - last >= LISTENER_GAP:
        log.emit(
            coerce("listeners.changed", {"room_id": room_id, "counts": counts}),
            _listener_audience(lo.state, room_id),
        )
        lo.row.listeners_sent = {
            **lo.row.listeners_sent,
            room_id: {"at": now.isoformat(), "counts": counts},
        }
    else:
        due = last + LISTENER_GAP
        lo.listeners_due = due if lo.listeners_due is None else min(lo.listeners_due, due)


def _offer_all(lo: Loaded, log: EventLog, now: dt.datetime) -> None:
    counts = _all_counts(lo.state)
    for room_id in lo.state.rooms:
        _offer(lo, log, room_id, now, counts[room_id])


async def _defer_listeners(tx: AsyncSession, lo: Loaded) -> None:
    """One pending flush per session, at the earliest instant a room may be told
    again: a round opening changes a hundred rooms' counts within a second, and one
    timer per room meant a hundred loads and saves of the whole state."""
    due = lo.listeners_due
    if due is None:
        return
    row = (
        await tx.exec(
            select(Timer).where(Timer.kind == LISTENERS_KIND, Timer.target == lo.session.id)
        )
    ).first()
    if row is not None and row.done_at is None and row.due_at <= due:
        return
    await set_timer(tx, LISTENERS_KIND, lo.session.id, due, session_id=lo.session.id)


@on_timer(LISTENERS_KIND)
async def _flush_listeners(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    """Every room whose counts changed since it was last told (rows of older versions
    named one room in ``target``; flushing all rooms covers them too)."""
    lo = await load(tx, s)
    _offer_all(lo, log, utcnow())
    await save(tx, lo)


# ---- domain timers (handover expiry, dropout grace, turns) ----------------------------


async def _sync_timers(tx: AsyncSession, lo: Loaded) -> None:
    wanted = {f"{lo.session.id}:{t.job_id}": t.due for t in ip.pending_timers(lo.state)}
    rows = (
        await tx.exec(
            select(Timer).where(
                Timer.session_id == lo.session.id,
                Timer.kind == TIMER_KIND,
                Timer.done_at.is_(None),
            )
        )
    ).all()
    have = {r.target: r.due_at for r in rows}
    for target in have:
        if target not in wanted:
            await tx.exec(delete(Timer).where(Timer.kind == TIMER_KIND, Timer.target == target))
    for target, due in wanted.items():
        if have.get(target) != due:
            await set_timer(tx, TIMER_KIND, target, due, session_id=lo.session.id)


@on_timer(TIMER_KIND)
async def _fire(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    lo = await load(tx, s)
    job_id = timer.target.split(":", 1)[1]
    for t in ip.pending_timers(lo.state):
        if t.job_id == job_id and t.due == timer.due_at:
            await apply(tx, lo, log, t.command)
            break
    await save(tx, lo)


# ---- following the rest of the session -------------------------------------------------


async def follow(tx: AsyncSession, s: Session, log: EventLog) -> None:
    """Feed what this transaction stored (moves, presence, rounds, languages) to the
    interpretation state, in order."""
    relevant = [r for r in log.records if r.type in FOLLOWED]
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
        if rec.type == "room.moved" and rec.data.get("to_room"):
            run.pop(rec.data["person_id"], None)
            run[rec.data["person_id"]] = rec.data["to_room"]
            continue
        await flush()
        for command in await _commands_for(tx, rec, lo):
            try:
                await apply(tx, lo, log, command, counts=False)
            except errors.Problem:  # e.g. someone the state does not hold yet
                for single in _one_by_one(command):  # the rest of a round still opens
                    try:
                        await apply(tx, lo, log, single, counts=False)
                    except errors.Problem:
                        continue
    await flush()
    await _listeners(tx, lo, log, before, utcnow())
    await save(tx, lo)
    _attach_channels(relevant, lo)


def _attach_channels(records: list, lo: Loaded) -> None:
    """Each ``room.moved`` into a breakout room carries that room's channels as this
    transaction leaves them: the mover holds only the plenary's and their own room's,
    and a room opened in this transaction announced its channels to moderators only
    (``interpretation.events.channel_audience``). Later ``channel.updated`` of the same
    transaction replace what it carries, so a client ends where a snapshot would."""
    rooms = None
    for rec in records:
        to = rec.data.get("to_room") if rec.type == "room.moved" else None
        if to is None or to == lo.state.plenary_id or to not in lo.state.rooms:
            continue
        if rooms is None:
            rooms = {r["room_id"]: r["channels"] for r in lo.row.view["rooms"]}
        rec.data = {**rec.data, "channels": rooms.get(to, [])}


RECONCILE_KIND = "interpretation.reconcile"


async def _split_arrivals(tx: AsyncSession, records: list) -> tuple[list, bool]:
    """Participants arriving in the plenary and anyone's presence but interpreters'
    change nothing but listener counts, which travel at most once a second anyway:
    they are applied by one reconcile a second later instead of one state rewrite
    per connection (thousands join a plenary within seconds)."""
    arrivals = [
        r
        for r in records
        if r.type in ("presence.joined", "presence.left")
        or (r.type == "room.moved" and r.data.get("from_room") is None)
    ]
    if not arrivals:
        return records, False
    ids = {r.data["person_id"] for r in arrivals}
    interpreters = set(
        (
            await tx.exec(select(Person.id).where(Person.id.in_(ids), Person.role == "interpreter"))
        ).all()
    )
    # by identity: records compare field by field, which made this quadratic
    arriving = {id(r) for r in arrivals}
    keep = [r for r in records if id(r) not in arriving or r.data["person_id"] in interpreters]
    return keep, len(keep) < len(records)


@on_timer(RECONCILE_KIND)
async def _reconcile(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    """Apply the arrivals deferred by ``follow``: everyone's room as the database has it."""
    lo = await load(tx, s)
    atts = (await tx.exec(select(Placement).where(Placement.session_id == s.id))).all()
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


FOLLOWED = frozenset(
    {
        "room.moved",
        "presence.joined",
        "presence.left",
        "breakout.opened",
        "breakout.closed",
        "event.updated",
    }
)


async def _commands_for(tx: AsyncSession, rec, lo: Loaded) -> list:
    d = rec.data
    state = lo.state
    if rec.type == "room.moved" and d.get("to_room") in state.rooms:
        return [cmd.MovePerson(d["person_id"], d["to_room"])]
    if rec.type == "presence.joined" and d["person_id"] in state.members:
        return [cmd.ConnectionChanged(d["person_id"], True)]
    if rec.type == "presence.left" and d["person_id"] in state.members:
        return [cmd.ConnectionChanged(d["person_id"], False)]
    if rec.type == "breakout.opened":
        rooms = tuple(
            (r["id"], tuple(r["languages"])) for r in d["rooms"] if r["id"] not in state.rooms
        )
        return [cmd.OpenRooms(rooms)] if rooms else []
    if rec.type == "breakout.closed":
        rooms = await round_rooms(tx, lo.session, d["round_id"])
        gone = tuple(rid for rid in rooms if rid in state.rooms)
        return [cmd.CloseRooms(gone)] if gone else []
    if rec.type == "event.updated" and "interpretation_languages" in d["changes"]:
        return [cmd.SetLanguages(tuple(d["changes"]["interpretation_languages"]))]
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


async def booths_follow_round(tx, st, opened, placement) -> dict[str, str]:
    """When a round opens, each language room gets interpreters of that booth
    (partners kept together where there are enough); they come back with everyone.
    Returns the extra moves; the round's opening stores them with its own."""
    floor = st.rows[opened.id].floor_language or ""
    plan = booth_plan(st.people, opened.rooms, floor)
    return {pid: room_id for room_id, pids in plan.assignments.items() for pid in pids}


# ---- reads ---------------------------------------------------------------------------


async def channels(tx: AsyncSession, s: Session) -> dict:
    lo = await load(tx, s)
    names = {
        r.id: r.name for r in (await tx.exec(select(Room).where(Room.session_id == s.id))).all()
    }
    view = ip.channels_view(lo.state)
    for room in view["rooms"]:
        room["name"] = names.get(room["room_id"])
    return utc_json(view)


async def report(tx: AsyncSession, s: Session) -> dict:
    lo = await load(tx, s)
    return utc_json(ip.report(lo.state, utcnow()))


__all__ = ["Loaded", "apply", "channels", "follow", "load", "report", "save"]
