"""Speaker-queue commands: raise, lower or dismiss, reorder, call. The rules are
``interpretation.speakers``; a room's queue is its raised ``hands`` rows (in
``position`` order) and its last ``floor.upcoming`` (``speaker_queues``).

``follow`` runs after every command's own work, in its transaction: moves lower
the hands of the people who left a room (``moved``), the session's end and a
person's removal lower theirs (``left``), and every room whose queue or floor
changed is checked against the ``floor.upcoming`` rule. So the rule holds after
every command, whoever stored it."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from interpretation import speakers as sp
from scheduler.status import require_active

from .. import errors
from ..auth import Caller, Perm, load_session, require
from ..event_registry import REGISTRY, coerce
from ..eventlog import EventLog
from ..events import PersonRemoved, RoomMoved, SessionStatus
from ..jsonish import utc_json
from ..models import (
    Event,
    Hand,
    Person,
    Placement,
    Room,
    Session,
    SpeakerQueue,
    new_id,
    utcnow,
)
from ..schemas_speakers import HandRaise, HandsOrder
from . import interpretation_state as interp

FloorLanguage = REGISTRY["floor.language"]
QUEUE_EVENTS = tuple(REGISTRY[t] for t in sp.EVENT_TYPES if t != "floor.upcoming")
FOLLOWED = (*QUEUE_EVENTS, FloorLanguage, RoomMoved, PersonRemoved, SessionStatus)
OVER = frozenset({"ended", "cancelled"})


def public(h: Hand, position: int | None = None) -> dict:
    return utc_json(
        {
            "id": h.id,
            "person_id": h.person_id,
            "name": h.name,
            "room_id": h.room_id,
            "language": h.language,
            "raised_at": h.raised_at,
            "position": position or h.position,
        }
    )


def _problem(exc: sp.QueueError) -> errors.Problem:
    return errors.from_domain(exc.kind, exc.detail)


class Loaded:
    """One room's queue: the pure value and the rows it was read from."""

    def __init__(self, room_id: str, rows: list[Hand], head: SpeakerQueue | None):
        self.rows = {r.id: r for r in rows}
        self.head = head
        announced = (head.hand_id, head.language) if head else None
        hands = tuple(sp.Hand(r.id, r.person_id, r.name, r.language, r.raised_at) for r in rows)
        self.queue = sp.Queue(room_id, hands, announced)


async def up_hands(tx: AsyncSession, session_id: str, room_id: str | None = None) -> list[Hand]:
    q = select(Hand).where(Hand.session_id == session_id, Hand.lowered_at.is_(None))
    if room_id is not None:
        q = q.where(Hand.room_id == room_id)
    return list((await tx.exec(q.order_by(Hand.room_id, Hand.position))).all())


async def load(tx: AsyncSession, s: Session, room_id: str) -> Loaded:
    return Loaded(room_id, await up_hands(tx, s.id, room_id), await tx.get(SpeakerQueue, room_id))


def store(tx: AsyncSession, s: Session, lo: Loaded, log: EventLog, q: sp.Queue, events) -> None:
    """Write ``q`` back (positions, lowered hands, the announcement) and emit ``events``."""
    now = utcnow()
    for ev in events:
        if ev.type == "hand.lowered":
            row = lo.rows[ev.hand_id]
            row.lowered_at, row.reason = now, ev.reason
            tx.add(row)
        log.emit(coerce(ev.type, ev.data()), ev.audience)
    for i, h in enumerate(q.hands, 1):
        row = lo.rows.get(h.id)
        if row is None:
            row = lo.rows[h.id] = Hand(
                id=h.id,
                session_id=s.id,
                room_id=q.room_id,
                person_id=h.person_id,
                name=h.name,
                language=h.language,
                raised_at=h.raised_at,
            )
        if (row.position, row.language) != (i, h.language):
            row.position, row.language = i, h.language
            tx.add(row)
    if q.announced != lo.queue.announced:
        head = lo.head or SpeakerQueue(room_id=q.room_id, session_id=s.id)
        head.hand_id, head.language = q.announced or (None, None)
        tx.add(head)
    lo.queue = q


async def _room_of(tx: AsyncSession, s: Session, person_id: str) -> Room | None:
    att = await tx.get(Placement, (s.id, person_id))
    return await tx.get(Room, att.room_id) if att and att.room_id else None


def room_languages(room: Room, event: Event) -> set[str]:
    """The room's channels: the plenary has every language of the event, a
    breakout room the event's floor language and its own."""
    extra = event.interpretation_languages if room.kind == "plenary" else room.languages
    return {event.floor_language, *extra}


def floor_of(room: Room, event: Event) -> str:
    return room.floor_language or event.floor_language


def _active(s: Session, what: str) -> None:
    problem = require_active(s.status, what)
    if problem:
        raise errors.Conflict(problem, current=s.status)


def _person(caller: Caller) -> Person:
    if caller.person is None:
        raise errors.Forbidden(
            "the admin token is not a person: raise a hand with the token of the person "
            "who will speak"
        )
    return caller.person


async def raise_hand(state, caller: Caller, session_id: str, body: HandRaise) -> tuple[dict, bool]:
    """(the hand, whether it is new)."""

    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.hand_raise)
        person = _person(caller)
        event = await tx.get(Event, s.event_id)
        languages = {event.floor_language, *event.interpretation_languages}
        if body.language is not None and body.language not in languages:
            raise errors.Invalid(
                f"{body.language!r} is not a language of this event; "
                f"its languages are {', '.join(sorted(languages))}"
            )
        _active(s, "raising a hand")
        room = await _room_of(tx, s, person.id)
        if room is None:
            raise errors.Conflict("you are in no room yet: join the session first")
        language = body.language
        if language is None:
            here = room_languages(room, event)
            language = person.language if person.language in here else floor_of(room, event)
        lo = await load(tx, s, room.id)
        hand = sp.Hand(new_id(), person.id, person.name, language, utcnow())
        q, events, mine = sp.raise_hand(lo.queue, hand)
        store(tx, s, lo, log, q, events)
        return public(lo.rows[mine.id], q.position(mine.id)), mine.id == hand.id

    return await state.commands.run(session_id, work, by=caller.person_id)


async def _hand(tx: AsyncSession, s: Session, hand_id: str) -> Hand:
    row = await tx.get(Hand, hand_id)
    if row is None or row.session_id != s.id:
        raise errors.NotFound(f"hand {hand_id} does not exist in this session")
    return row


async def lower_hand(state, caller: Caller, session_id: str, hand_id: str) -> None:
    """The person lowers their own hand; a moderator dismisses anyone's."""

    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.session_read)
        row = await _hand(tx, s, hand_id)
        own = caller.person_id == row.person_id
        if not own:
            require(caller, Perm.session_moderate, "only a moderator or its owner lowers a hand")
        if row.lowered_at is not None:
            raise errors.Conflict(f"this hand is already down ({row.reason})")
        lo = await load(tx, s, row.room_id)
        q, events = sp.lower(lo.queue, hand_id, "lowered" if own else "dismissed")
        store(tx, s, lo, log, q, events)

    await state.commands.run(session_id, work, by=caller.person_id)


async def reorder_hands(state, caller: Caller, session_id: str, body: HandsOrder) -> list[dict]:
    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.session_moderate)
        room_id = body.room_id or s.plenary_room_id
        room = await tx.get(Room, room_id)
        if room is None or room.session_id != s.id:
            raise errors.NotFound(f"room {room_id} does not exist in this session")
        lo = await load(tx, s, room_id)
        try:
            q, events = sp.reorder(lo.queue, list(body.hand_ids))
        except sp.QueueError as exc:
            raise _problem(exc) from None
        store(tx, s, lo, log, q, events)
        return [public(lo.rows[h.id], i) for i, h in enumerate(q.hands, 1)]

    return await state.commands.run(session_id, work, by=caller.person_id)


async def call_speaker(state, caller: Caller, session_id: str, hand_id: str) -> dict:
    """In one transaction: the hand lowered (``called``), ``speaker.called``, and
    the room's floor moved to the speaker's language by the floor rules (retour and
    relay) when it differs, with its own events."""

    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.session_moderate)
        row = await _hand(tx, s, hand_id)
        _active(s, "calling a speaker")
        if row.lowered_at is not None:
            raise errors.Conflict(f"this hand is already down ({row.reason})")
        lo = await load(tx, s, row.room_id)
        channels = await interp.load(tx, s)
        if row.room_id not in channels.state.rooms:
            raise errors.Conflict("this hand's room is not open: its round has closed")
        floor = channels.state.rooms[row.room_id].floor_language
        q, events, set_floor = sp.call(lo.queue, hand_id, floor)
        store(tx, s, lo, log, q, events)
        if set_floor is not None:
            await interp.apply(tx, channels, log, set_floor)
            await interp.save(tx, channels)
        return {"person_id": row.person_id, "room_id": row.room_id, "language": row.language}

    result = await state.commands.run(session_id, work, by=caller.person_id)
    state.wake_timers()
    return result


async def queue(state, caller: Caller, session_id: str, room_id: str | None) -> list[dict]:
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        mine = await _room_of(tx, s, caller.person_id) if caller.person_id else None
        here = mine.id if mine else s.plenary_room_id  # before joining: where they land
        wanted = room_id or here
        if wanted != here and not caller.is_staff:
            raise errors.Forbidden("only staff read the queue of a room they are not in")
        room = await tx.get(Room, wanted)
        if room is None or room.session_id != s.id:
            raise errors.NotFound(f"room {wanted} does not exist in this session")
        return [public(h) for h in await up_hands(tx, s.id, wanted)]


# ---- following the other commands ---------------------------------------------------------


async def follow(tx: AsyncSession, s: Session, log: EventLog) -> None:
    happened = [r.event for r in log.records if isinstance(r.event, FOLLOWED)]
    if not happened:
        return
    up = await up_hands(tx, s.id)
    touched: set[str] = set()
    leaving: dict[str, str] = {}  # person -> reason
    placed: dict[str, str | None] = {}  # person -> the room they moved to
    for e in happened:
        if isinstance(e, RoomMoved):
            leaving[e.person_id] = "moved"
            placed[e.person_id] = e.to_room
        elif isinstance(e, PersonRemoved):
            leaving[e.person_id] = "left"
        elif isinstance(e, SessionStatus) and e.status in OVER:
            leaving.update((h.person_id, "left") for h in up)
        elif isinstance(e, (FloorLanguage, *QUEUE_EVENTS)):
            touched.add(e.room_id)

    def lowers(person_id: str, room_id: str) -> str | None:
        """Why this person's hand in this room comes down now (a move within the
        room, e.g. a first placement, does not lower it)."""
        reason = leaving.get(person_id)
        if reason == "moved" and placed.get(person_id) == room_id:
            return None
        return reason

    touched.update(h.room_id for h in up if lowers(h.person_id, h.room_id))
    if not touched:
        return
    event = await tx.get(Event, s.event_id)
    for room_id in sorted(touched):
        room = await tx.get(Room, room_id)
        if room is None:
            continue
        lo = await load(tx, s, room_id)
        q, events = lo.queue, []
        for h in lo.queue.hands:
            reason = lowers(h.person_id, room_id)
            if reason:
                q, evs = sp.lower(q, h.id, reason)
                events += evs
        q, evs = sp.announce(q, floor_of(room, event))
        store(tx, s, lo, log, q, events + evs)
