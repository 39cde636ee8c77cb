"""Chat: to a room, to the moderators, inside a booth, or one person (when either
side is a moderator). A message is a ``chat.message`` event in the log, so
resume, replay and several processes work as for every event; its row in
``chat_messages`` keeps it for the session's life (history) and counts for the
rate limit, in the command's own transaction (so every process counts the same).

Deleting blanks the text in place everywhere it is stored: the row, the event
in the log, the webhook outbox; each process's gateway blanks its in-memory
window when it reads ``chat.deleted`` (``gateway.hub``)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import orjson
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from scheduler.status import require_active

from .. import errors
from .. import eventlog as el
from ..auth import Caller, Perm, Role, load_session, require
from ..eventlog import EventLog
from ..events_speakers import ChatDeleted, ChatMessage
from ..gateway.connection import Connection
from ..jsonish import utc_json
from ..models import (
    ChatMessageRow,
    Event,
    EventRecord,
    InterpretationState,
    Person,
    Placement,
    Room,
    Session,
    WebhookDelivery,
    utcnow,
)
from ..schemas_speakers import ChatCreate
from .lookups import of_session

RATE_COUNT = 5
RATE_WINDOW = dt.timedelta(seconds=10)
HISTORY_BATCH = 500


def _targets(person: Person) -> list[str]:
    return [d.partition(">")[2] for d in person.interprets]


async def _room_of(tx: AsyncSession, s: Session, person_id: str) -> str | None:
    att = await tx.get(Placement, (s.id, person_id))
    return att.room_id if att else None


async def _live_channel(tx: AsyncSession, s: Session, room_id: str, person_id: str) -> str | None:
    view = (
        await tx.exec(
            select(InterpretationState.view).where(InterpretationState.session_id == s.id)
        )
    ).first()
    for room in (view or {}).get("rooms", []):
        if room["room_id"] == room_id:
            for ch in room["channels"]:
                if ch.get("on_air") == person_id:
                    return ch["language"]
    return None


async def _rate_limit(tx: AsyncSession, person_id: str, now: dt.datetime) -> None:
    """More than ``RATE_COUNT`` messages in ``RATE_WINDOW``: 429 until the oldest of
    the last ones leaves the window."""
    recent = (
        await tx.exec(
            select(ChatMessageRow.created_at)
            .where(
                ChatMessageRow.person_id == person_id,
                ChatMessageRow.created_at > now - RATE_WINDOW,
            )
            .order_by(ChatMessageRow.created_at.desc())
            .limit(RATE_COUNT)
        )
    ).all()
    if len(recent) >= RATE_COUNT:
        wait = max(1, math.ceil((recent[-1] + RATE_WINDOW - now).total_seconds()))
        raise errors.TooMany(
            f"at most {RATE_COUNT} messages in {RATE_WINDOW.seconds} s: send again in {wait} s",
            retry_after=wait,
        )


async def _audience(
    tx: AsyncSession, s: Session, caller: Caller, body: ChatCreate, event: Event
) -> tuple[list[str], str | None, str | None]:
    """(audience targets, room_id, language), refusing what the caller may not send
    (404, 403, 422 in that order within each case)."""
    sender = caller.person
    languages = {event.floor_language, *event.interpretation_languages}
    if body.language is not None and body.language not in languages:
        raise errors.Invalid(
            f"{body.language!r} is not a language of this event; "
            f"its languages are {', '.join(sorted(languages))}"
        )
    mine = await _room_of(tx, s, sender.id)
    moderator = sender.role == Role.MODERATOR
    if body.to == "room":
        room_id = body.room_id or mine or (s.plenary_room_id if moderator else None)
        if body.room_id is not None:
            await of_session(tx, Room, body.room_id, s, "room")
            if body.room_id != mine and not moderator:
                raise errors.Forbidden("only moderators write to a room they are not in")
        if room_id is None:
            raise errors.Conflict("you are in no room yet: join the session first")
        return [el.room(room_id)], room_id, body.language
    if body.to == "moderators":
        return [el.MODERATORS, el.person(sender.id)], mine, body.language
    if body.to == "booth":
        if sender.role != Role.INTERPRETER:
            raise errors.Forbidden("only interpreters write in a booth")
        if mine is None:
            raise errors.Conflict("you are in no room yet: join the session first")
        language = body.language
        if language is None:
            language = await _live_channel(tx, s, mine, sender.id) or next(
                iter(_targets(sender)), None
            )
        if language is None:
            raise errors.Invalid("you interpret into no language: name the booth's 'language'")
        return [f"booth:{mine}:{language}", el.person(sender.id)], mine, language
    other = await tx.get(Person, body.to)
    if other is None or other.event_id != s.event_id:
        raise errors.NotFound(
            f'\'to\' is {body.to!r}: neither "room", "moderators", "booth" '
            "nor a person of this event"
        )
    if Role.MODERATOR not in (sender.role, other.role):
        raise errors.Forbidden("direct messages go to or come from a moderator")
    return [el.person(other.id), el.person(sender.id)], mine, body.language


async def send_message(state, caller: Caller, session_id: str, body: ChatCreate) -> dict:
    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.chat_send)
        if caller.person is None:
            raise errors.Forbidden("the admin token is not a person: write with a person's token")
        event = await tx.get(Event, s.event_id)
        audience, room_id, language = await _audience(tx, s, caller, body, event)
        problem = require_active(s.status, "chat")
        if problem:
            raise errors.Conflict(problem, current=s.status)
        now = utcnow()
        await _rate_limit(tx, caller.person_id, now)
        sender = caller.person
        row = ChatMessageRow(
            session_id=s.id,
            seq=0,
            person_id=sender.id,
            to=body.to,
            room_id=room_id,
            language=language,
            audience=audience,
            text=body.text,
            created_at=now,
        )
        rec = log.emit(_message(row, sender), audience, at=now)
        row.seq = rec.seq
        tx.add(row)
        return _public(row, rec.data)

    return await state.commands.run(session_id, work, by=caller.person_id)


def _public(row: ChatMessageRow, data: dict) -> dict:
    out = {"seq": row.seq, "at": row.created_at, **data}
    out.pop("deleted", None)
    if out.get("language") is None:
        out.pop("language", None)
    return utc_json(out)


async def delete_message(state, caller: Caller, session_id: str, message_id: str) -> None:
    async def work(tx: AsyncSession, s: Session, log: EventLog):
        await load_session(tx, caller, session_id, Perm.session_read)
        row = await of_session(tx, ChatMessageRow, message_id, s, "message")
        if caller.person_id != row.person_id:
            require(caller, Perm.session_moderate, "only its author or a moderator deletes it")
        if row.deleted_at is not None:
            return
        row.text, row.deleted_at = "", utcnow()
        tx.add(row)
        await _erase(tx, s, row)
        log.emit(ChatDeleted(id=row.id), row.audience)

    await state.commands.run(session_id, work, by=caller.person_id)


def _blank(data: dict) -> dict:
    return {**data, "text": "", "deleted": True}


async def _erase(tx: AsyncSession, s: Session, row: ChatMessageRow) -> None:
    """The text leaves the log row and every webhook delivery of it (sent or not)."""
    logged = (
        await tx.exec(
            select(EventRecord).where(EventRecord.session_id == s.id, EventRecord.seq == row.seq)
        )
    ).first()
    if logged is not None:
        logged.data = _blank(logged.data)
        tx.add(logged)
    deliveries = await tx.exec(
        select(WebhookDelivery).where(
            WebhookDelivery.session_id == s.id,
            WebhookDelivery.event_type == "chat.message",
            WebhookDelivery.body.contains(f'"id":"{row.id}"'),
        )
    )
    for d in deliveries.all():
        body = orjson.loads(d.body)
        body["data"] = _blank(body["data"])
        d.body = orjson.dumps(body).decode()
        tx.add(d)


@dataclass(frozen=True, slots=True)
class _Viewer:
    """What ``Connection.sees`` reads of a client: the one audience rule."""

    person_id: str | None
    is_staff: bool
    room_id: str | None
    booths: frozenset[str]


async def history(
    state, caller: Caller, session_id: str, before: int | None, limit: int
) -> list[dict]:
    """The messages the caller may see, older than ``before``, newest last. Rooms
    and booths are judged by where the caller is now."""
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.session_read)
        person = caller.person
        viewer = _Viewer(
            caller.person_id,
            caller.is_staff,
            await _room_of(tx, s, person.id) if person else None,
            frozenset(_targets(person)) if person else frozenset(),
        )
        found: list[ChatMessageRow] = []
        # no message is past the session's seq: a larger ``before`` (up to 2**53) bounds
        # nothing, and would not fit PostgreSQL's INTEGER column
        cursor = min(before, s.seq + 1) if before is not None else s.seq + 1
        while len(found) < limit:
            rows = (
                await tx.exec(
                    select(ChatMessageRow)
                    .where(
                        ChatMessageRow.session_id == s.id,
                        ChatMessageRow.seq < cursor,
                        ChatMessageRow.deleted_at.is_(None),
                    )
                    .order_by(ChatMessageRow.seq.desc())
                    .limit(HISTORY_BATCH)
                )
            ).all()
            if not rows:
                break
            found += [r for r in rows if Connection.sees(viewer, r)][: limit - len(found)]
            cursor = rows[-1].seq
        names = await _senders(tx, {r.person_id for r in found})
    return [
        _public(r, _message(r, names[r.person_id]).model_dump(mode="json", by_alias=True))
        for r in reversed(found)
    ]


async def _senders(tx: AsyncSession, ids: set[str]) -> dict[str, Person]:
    if not ids:
        return {}
    rows = await tx.exec(select(Person).where(Person.id.in_(ids)))
    return {p.id: p for p in rows.all()}


def _message(r: ChatMessageRow, sender: Person) -> ChatMessage:
    """The ``chat.message`` event of a stored message (as sent, and as history shows it)."""
    return ChatMessage(
        id=r.id,
        from_=r.person_id,
        from_name=sender.name,
        from_role=sender.role,
        to=r.to,
        room_id=r.room_id,
        text=r.text,
        language=r.language,
    )
