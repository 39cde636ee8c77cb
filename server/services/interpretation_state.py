"""A session's interpretation state as commands see it: one JSON row, loaded and
written under the session lock; the pure ``interpretation`` domain decides, and its
events are stored here with their audiences. Listener counts go out through the
domain's ``ListenerCoalescer``; the domain's timers become timer rows."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import interpretation as ip
from interpretation import serialization
from interpretation.coalescer import ListenerCoalescer
from interpretation.state import ListenerSample, with_samples
from interpretation.views import all_listener_counts

from .. import bulk, errors
from ..eventlog import EventLog
from ..models import (
    Event,
    InterpretationState,
    ListenerSampleRow,
    Person,
    Placement,
    PresenceLease,
    Room,
    Session,
    Timer,
    utcnow,
)
from ..timers import set_timer

TIMER_KIND = "interpretation"
LISTENERS_KIND = "interpretation.listeners"
RECONCILE_KIND = "interpretation.reconcile"  # arrivals applied a second later, together
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
        self._coalescer: ListenerCoalescer | None = None

    @property
    def coalescer(self) -> ListenerCoalescer:
        """At most one ``listeners.changed`` a second per room, across transactions."""
        if self._coalescer is None:
            sent = {
                room_id: (dt.datetime.fromisoformat(v["at"]), v["counts"])
                for room_id, v in self.row.listeners_sent.items()
            }
            self._coalescer = ListenerCoalescer(LISTENER_GAP.total_seconds(), sent)
        return self._coalescer


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
        state = _parsed(tx, s.id, row.state)
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
    # plain rows: a thousand ORM instances cost ~2 ms more than the two columns used
    atts = (
        await tx.exec(
            select(Placement.person_id, Placement.room_id).where(
                Placement.session_id == lo.session.id
            )
        )
    ).all()
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
                select(PresenceLease.person_id).where(PresenceLease.session_id == lo.session.id)
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


# The state each session was last stored with by this process, beside the dict stored:
# a command that finds the row as this process left it (the common case: commands of a
# session follow one another under its lock) takes that state instead of parsing the
# whole of it again (1,000 members: ~1.2 ms to parse, ~0.1 ms to compare). Equal dicts
# parse to equal states (``from_dict(to_dict(s)) == s``); a row another process or a
# rolled-back transaction left differs, and is parsed. Kept per ``Database``.
_STORED_MAX = 64
Stored = OrderedDict[str, tuple[dict, ip.SessionInterpretation]]


def stored_states(tx: AsyncSession) -> Stored:
    return tx.info["memo"].setdefault("interpretation", OrderedDict())


def _parsed(tx: AsyncSession, session_id: str, data: dict) -> ip.SessionInterpretation:
    stored = stored_states(tx)
    known = stored.get(session_id)
    if known is not None and (known[0] is data or known[0] == data):
        stored.move_to_end(session_id)
        return known[1]
    return serialization.from_dict(data)


def _stored(tx: AsyncSession, session_id: str, data: dict, state: ip.SessionInterpretation) -> None:
    stored = stored_states(tx)
    stored[session_id] = (data, state)
    stored.move_to_end(session_id)
    while len(stored) > _STORED_MAX:
        stored.popitem(last=False)


_SAMPLE_ROWS = ListenerSampleRow.__table__


def _sample_upserts() -> dict:
    """Per dialect: a channel's sample of a second, the latest taken winning."""
    out = {}
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql)):
        stmt = dialect.insert(_SAMPLE_ROWS)
        c = _SAMPLE_ROWS.c
        out[name] = stmt.on_conflict_do_update(
            index_elements=[c.session_id, c.room_id, c.language, c.second],
            set_={k: stmt.excluded[k] for k in ("at", "listeners", "n")},
        )
    return out


_SAMPLE_UPSERT = _sample_upserts()


async def _store_samples(tx: AsyncSession, lo: Loaded) -> None:
    """The samples this transaction took go to their rows; the state keeps none, so
    that it stays the size of the session's channels however long it runs."""
    samples = lo.state.samples
    if not samples:
        return
    n = lo.row.samples_n or 0
    rows = [
        {
            "session_id": lo.session.id,
            "room_id": x.room_id,
            "language": x.language,
            "second": x.at.replace(microsecond=0),
            "at": x.at,
            "listeners": x.listeners,
            "n": n + i,
        }
        for i, x in enumerate(samples)
    ]
    conn = await tx.connection()
    await bulk.executemany(tx, _SAMPLE_UPSERT[conn.dialect.name], rows)
    lo.row.samples_n = n + len(rows)
    lo.state = with_samples(lo.state, ())


async def stored_samples(tx: AsyncSession, session_id: str) -> tuple[ListenerSample, ...]:
    """The session's listener samples in the order they were taken."""
    c = _SAMPLE_ROWS.c
    rows = await tx.execute(
        select(c.at, c.room_id, c.language, c.listeners)
        .where(c.session_id == session_id)
        .order_by(c.n)
    )
    return tuple(ListenerSample(*row) for row in rows)


async def save(tx: AsyncSession, lo: Loaded) -> None:
    await _store_samples(tx, lo)
    lo.row.state = data = serialization.to_dict(lo.state)
    _stored(tx, lo.session.id, data, lo.state)
    # plain JSON already (names, counts, sources: no instants), so stored as it is
    lo.row.view = ip.channels_view(lo.state)
    if lo._coalescer is not None:
        lo._coalescer.retain(lo.state.rooms)  # a closed round's rooms would pile up
        lo.row.listeners_sent = {
            room_id: {"at": at.isoformat(), "counts": counts}
            for room_id, (at, counts) in lo._coalescer.sent().items()
        }
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
        log.emit_domain(ev.type, data, ev.audience, at=now)


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


async def _listeners(tx, lo: Loaded, log: EventLog, before, now: dt.datetime) -> None:
    old, new = _all_counts(before), _all_counts(lo.state)
    for room_id in set(old) | set(new):
        if old.get(room_id) != new.get(room_id):
            _offer(lo, log, room_id, now, new.get(room_id, {}))


def _offer(lo: Loaded, log: EventLog, room_id: str, now: dt.datetime, counts: dict) -> None:
    """Store ``listeners.changed`` for a room now, or, within a second of the last one,
    note when it may go (``save`` sets one timer for the whole session)."""
    sent = lo.coalescer.offer(room_id, counts, now)
    if sent.event is not None:
        log.emit_domain(sent.event.type, sent.event.data(), sent.event.audience)
    elif sent.due is not None:
        due = sent.due
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


async def flush_listeners(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
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


async def fire(tx, s: Session, log: EventLog, timer: Timer, late_s: float) -> None:
    lo = await load(tx, s)
    job_id = timer.target.split(":", 1)[1]
    for t in ip.pending_timers(lo.state):
        if t.job_id == job_id and t.due == timer.due_at:
            await apply(tx, lo, log, t.command)
            break
    await save(tx, lo)
