"""Help requests: a participant or an interpreter asks; moderators (only them) see who
and where; the request stays open until a moderator enters that room, dismisses it, or
the asker cancels it. A person has at most one open request, and it follows them from
room to room, so that moderators go where the asker is now."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.status import require_active

from .. import errors
from .. import eventlog as el
from ..auth import Caller, Perm, load_session, require
from ..eventlog import EventLog
from ..events_breakouts import HelpClaimed, HelpMoved, HelpReceived, HelpRequested, HelpResolved
from ..jsonish import utc_json
from ..models import HelpRequest, Placement, Room, Session, utcnow


def public(h: HelpRequest) -> dict:
    return utc_json(
        {
            "id": h.id,
            "person_id": h.person_id,
            "room_id": h.room_id,
            "text": h.text,
            "created_at": h.created_at,
            "claimed_by": h.claimed_by,
            "status": "resolved" if h.resolved_at else ("claimed" if h.claimed_by else "open"),
            "resolution": h.resolution,
        }
    )


async def open_requests(tx: AsyncSession, session_id: str) -> list[HelpRequest]:
    q = select(HelpRequest).where(
        HelpRequest.session_id == session_id, HelpRequest.resolved_at.is_(None)
    )
    return list((await tx.exec(q.order_by(HelpRequest.created_at))).all())


def _audience(h: HelpRequest) -> list[str]:
    return [el.MODERATORS, el.person(h.person_id)]


async def ask(state, caller: Caller, session_id: str, text: str | None) -> tuple[dict, bool]:
    """(the request, whether it is new): a second request while one is open returns
    the open one, unchanged, and tells no one again."""

    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.help_ask)
        if caller.person is None:
            raise errors.Forbidden(
                "the admin token is not a participant: ask with a person's token"
            )
        problem = require_active(s.status, "asking for help")
        if problem:
            raise errors.Conflict(problem, current=s.status)
        q = select(HelpRequest).where(
            HelpRequest.session_id == s.id,
            HelpRequest.person_id == caller.person_id,
            HelpRequest.resolved_at.is_(None),
        )
        already = (await tx.exec(q)).first()
        if already is not None:
            return public(already), False
        att = await tx.get(Placement, (s.id, caller.person_id))
        room = await tx.get(Room, att.room_id) if att and att.room_id else None
        h = HelpRequest(
            session_id=s.id,
            person_id=caller.person_id,
            room_id=room.id if room else None,
            text=text,
        )
        tx.add(h)
        log.emit(
            HelpRequested(
                help_id=h.id,
                person_id=h.person_id,
                name=caller.person.name,
                room_id=h.room_id,
                room_name=room.name if room else None,
                text=text,
            ),
            [el.MODERATORS],
        )
        log.emit(HelpReceived(help_id=h.id), [el.person(h.person_id)])
        return public(h), True

    return await state.commands.run(session_id, work, by=caller.person_id)


async def _get(tx: AsyncSession, s: Session, help_id: str) -> HelpRequest:
    h = await tx.get(HelpRequest, help_id)
    if h is None or h.session_id != s.id:
        raise errors.NotFound(f"help request {help_id} does not exist in this session")
    return h


async def list_requests(state, caller: Caller, session_id: str) -> list[dict]:
    """Moderators and observers see every open request; anyone else their own."""
    async with state.db.read() as tx:
        await load_session(tx, caller, session_id, Perm.session_read)
        rows = await open_requests(tx, session_id)
    if not caller.can(Perm.help_read):
        rows = [h for h in rows if h.person_id == caller.person_id]
    return [public(h) for h in rows]


async def claim(state, caller: Caller, session_id: str, help_id: str) -> dict:
    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.session_moderate)
        h = await _get(tx, s, help_id)
        if h.resolved_at:
            raise errors.Conflict("this help request is already resolved")
        h.claimed_by = caller.person_id
        tx.add(h)
        log.emit(
            HelpClaimed(help_id=h.id, person_id=h.person_id, moderator_id=caller.person_id),
            _audience(h),
        )
        return public(h)

    return await state.commands.run(session_id, work, by=caller.person_id)


async def resolve(state, caller: Caller, session_id: str, help_id: str) -> None:
    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.session_read)
        h = await _get(tx, s, help_id)
        asker = caller.person_id == h.person_id
        require(
            caller,
            Perm.help_cancel if asker else Perm.session_moderate,
            "only a moderator or the person who asked may close this",
        )
        if h.resolved_at:
            raise errors.Conflict("this help request is already resolved")
        _close(h, "cancelled" if asker else "dismissed", log)
        tx.add(h)

    await state.commands.run(session_id, work, by=caller.person_id)


def _close(h: HelpRequest, reason: str, log: EventLog) -> None:
    h.resolved_at = utcnow()
    h.resolution = reason
    log.emit(HelpResolved(help_id=h.id, person_id=h.person_id, reason=reason), _audience(h))


async def follow(tx: AsyncSession, s: Session, log: EventLog) -> None:
    """After the moves of a transaction (a round opening or closing, a moderator's
    move, a first join): an open request takes its asker's new room (``help.moved``
    to them and the moderators)."""
    moved: dict[str, str] = {}
    for record in log.records:
        if record.type == "room.moved":
            moved[record.data["person_id"]] = record.data["to_room"]
    if not moved:
        return
    follows = [
        h
        for h in await open_requests(tx, s.id)
        if h.person_id in moved and h.room_id != moved[h.person_id]
    ]
    if not follows:
        return
    ids = {moved[h.person_id] for h in follows}
    names = dict((await tx.exec(select(Room.id, Room.name).where(Room.id.in_(ids)))).all())
    for h in follows:
        before, h.room_id = h.room_id, moved[h.person_id]
        tx.add(h)
        log.emit(
            HelpMoved(
                help_id=h.id,
                person_id=h.person_id,
                from_room=before,
                room_id=h.room_id,
                room_name=names.get(h.room_id),
            ),
            _audience(h),
        )


async def moderator_arrived(tx, st, log: EventLog, person_id: str, room_id: str) -> None:
    """A moderator's move into a room resolves the open requests of the people in it."""
    person = st.people.get(person_id)
    if person is None or not Caller(person).can(Perm.session_moderate):
        return
    for h in await open_requests(tx, st.session.id):
        if st.placement.get(h.person_id) == room_id:
            _close(h, "moderator_arrived", log)
            tx.add(h)
