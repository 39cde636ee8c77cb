"""Callers, tokens and permissions: authorisation in one place.

Tokens are random and stored as SHA-256 (a slow hash would make thousands of
WebSocket handshakes take minutes). Ids that do not exist or belong to another
event are 404, never 403."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from breakouts.model import Role
from breakouts.wording import with_article

from . import errors
from .models import Event, Person, Session


class Perm(StrEnum):
    event_create = "event:create"
    event_read = "event:read"
    event_manage = "event:manage"
    people_read = "people:read"
    people_manage = "people:manage"
    session_read = "session:read"
    session_manage = "session:manage"
    session_moderate = "session:moderate"
    move_self = "move:self"
    help_ask = "help:ask"
    help_cancel = "help:cancel"
    help_read = "help:read"  # every open request: who asked, and where
    channel_listen = "channel:listen"
    channel_speak = "channel:speak"
    media_join = "media:join"
    webhook_manage = "webhook:manage"
    hand_raise = "hand:raise"
    chat_send = "chat:send"
    me_read = "me:read"
    attendance_read = "attendance:read"


_MEMBER = {Perm.event_read, Perm.session_read, Perm.channel_listen, Perm.me_read}
_IN_ROOMS = {Perm.media_join}  # people who are placed in rooms (observers never are)
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.MODERATOR: frozenset(set(Perm) - {Perm.event_create, Perm.help_ask, Perm.channel_speak}),
    Role.OBSERVER: frozenset(_MEMBER | {Perm.people_read, Perm.help_read, Perm.attendance_read}),
    Role.INTERPRETER: frozenset(
        _MEMBER
        | _IN_ROOMS
        | {Perm.channel_speak, Perm.move_self, Perm.help_ask, Perm.help_cancel}
        | {Perm.hand_raise, Perm.chat_send}
    ),
    Role.PARTICIPANT: frozenset(
        _MEMBER
        | _IN_ROOMS
        | {Perm.move_self, Perm.help_ask, Perm.help_cancel}
        | {Perm.hand_raise, Perm.chat_send}
    ),
}
STAFF = frozenset({Role.MODERATOR, Role.OBSERVER})


def new_token() -> str:
    """256 random bits, URL-safe, never starting with ``-``: a spreadsheet export
    would prefix such a cell with ``'`` (formula guard), and the token read back
    from the file would no longer be the person's."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """The admin (person is None) or one person of one event."""

    person: Person | None

    @property
    def is_admin(self) -> bool:
        return self.person is None

    @property
    def person_id(self) -> str | None:
        return None if self.person is None else self.person.id

    @property
    def role(self) -> str:
        return "admin" if self.person is None else self.person.role

    @property
    def is_staff(self) -> bool:
        return self.person is None or self.person.role in STAFF

    def can(self, perm: Perm) -> bool:
        return self.person is None or perm in ROLE_PERMS[self.person.role]


def _is_admin(token: str | None, admin_token: str) -> bool:
    if not token:
        raise errors.Unauthorized(
            "no token: send 'Authorization: Bearer <token>' (or ?token= on WebSockets)"
        )
    return hmac.compare_digest(token.encode(), admin_token.encode())


def _invalid() -> errors.Unauthorized:
    return errors.Unauthorized("the token is not valid (it may have been re-issued)")


async def caller_for_token(tx: AsyncSession, token: str | None, admin_token: str) -> Caller:
    if _is_admin(token, admin_token):
        return Caller(None)
    person = (await tx.exec(select(Person).where(Person.token_hash == hash_token(token)))).first()
    if person is None:
        raise _invalid()
    return Caller(person)


_PERSON_BY_TOKEN = select(Person.__table__).where(
    Person.__table__.c.token_hash == bindparam("token_hash")
)


async def rest_caller(engine: AsyncEngine, token: str | None, admin_token: str) -> Caller:
    """A REST request's caller, read from the database on every request (never from
    the sockets' token cache: a re-issued or removed token fails at once): one Core
    statement on an autocommit connection, without an ORM session and its query
    pipeline, which cost more than the statement. The person is made detached, as if
    loaded by a session since closed."""
    if _is_admin(token, admin_token):
        return Caller(None)
    async with engine.connect() as conn:
        row = (
            (await conn.execute(_PERSON_BY_TOKEN, {"token_hash": hash_token(token)}))
            .mappings()
            .first()
        )
    if row is None:
        raise _invalid()
    return Caller(person_from_row(row))


_PEOPLE = Person._sa_class_manager


def person_from_row(row) -> Person:
    """A detached ``Person`` of a row's columns, made as the ORM makes a loaded one
    (no ``__init__``: its validation and defaults cost 120 us, fifteen times this).
    The mappers are configured first, as ``__init__`` would have: in a process whose
    first request this is, nothing else has yet."""
    if not Person.__mapper__.configured:
        configure_mappers()
    person = _PEOPLE.new_instance()
    person.__dict__.update(row)
    object.__setattr__(person, "__pydantic_fields_set__", set(row.keys()))
    object.__setattr__(person, "__pydantic_extra__", None)
    object.__setattr__(person, "__pydantic_private__", None)
    make_transient_to_detached(person)
    return person


# What a caller without the right is told, where the generic sentence would mislead.
_REFUSALS: dict[Perm, str] = {
    Perm.event_create: "only the operator (admin token) creates events",
}


def require(caller: Caller, perm: Perm, refusal: str | None = None) -> None:
    """The one permission check: 403 unless the caller's role grants ``perm``."""
    if not caller.can(perm):
        raise errors.Forbidden(
            refusal
            or _REFUSALS.get(perm)
            or f"{with_article(caller.role)} may not do this ({perm.value}); "
            "ask a moderator or the operator"
        )


def require_self_or(caller: Caller, person_id: str, perm: Perm, refusal: str | None = None) -> None:
    """A person acting on themselves, or a caller whose role grants ``perm``."""
    if caller.person_id != person_id:
        require(caller, perm, refusal)


def check_event(caller: Caller, event_id: str, perm: Perm) -> None:
    """404 for another event's ids, 403 for a missing right."""
    if caller.person is not None and caller.person.event_id != event_id:
        raise errors.NotFound(f"event {event_id} does not exist")
    require(caller, perm)


async def load_event(tx: AsyncSession, caller: Caller, event_id: str, perm: Perm) -> Event:
    event = await tx.get(Event, event_id)
    if event is None or (caller.person is not None and caller.person.event_id != event_id):
        raise errors.NotFound(f"event {event_id} does not exist")
    check_event(caller, event_id, perm)
    return event


async def load_session(tx: AsyncSession, caller: Caller, session_id: str, perm: Perm) -> Session:
    session = await tx.get(Session, session_id)
    if session is None or (
        caller.person is not None and caller.person.event_id != session.event_id
    ):
        raise errors.NotFound(f"session {session_id} does not exist")
    check_event(caller, session.event_id, perm)
    return session
