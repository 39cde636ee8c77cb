"""Who a socket's token belongs to, kept by this process for WebSocket handshakes.

A connect storm asks the database the same two questions thousands of times (whose
token, which event owns the session). Here the first handshake of a session loads
its event's people in one statement; the rest find themselves in memory. The cache
belongs to the app (``AppState.tokens``): two apps in one process share nothing.

Only sockets use it, never REST. An entry ends when this process sees its person's
token end or change (``person.token_reissued``/``person.removed`` in a feed, or the
command that did it), and after ``ttl_s`` anyway, since another process may re-issue
a token for someone with no session this process follows. Whatever it answers, a
socket is re-checked against the database once its cursor is fixed
(``session_socket._token_ended``): the cache saves the lookup, not the check."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import select

from ..models import Person, Placement


@dataclass(frozen=True, slots=True)
class Identity:
    """What the socket path reads of a ``Person`` (it stands in for one there)."""

    id: str
    event_id: str
    role: str
    interprets: tuple[str, ...]
    language: str | None
    token_hash: str
    at: float  # when it was read

    @classmethod
    def of(cls, p, at: float) -> Identity:
        return cls(
            p.id, p.event_id, p.role, tuple(p.interprets or ()), p.language, p.token_hash, at
        )

    def same_as(self, p) -> bool:
        return (self.event_id, self.role, self.interprets, self.language) == (
            p.event_id,
            p.role,
            tuple(p.interprets or ()),
            p.language,
        )


class TokenCache:
    def __init__(
        self,
        ttl_s: float = 15.0,
        max_people: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.ttl_s = ttl_s
        self.max_people = max_people
        self._clock = clock
        self._people: dict[str, Identity] = {}  # token hash -> identity, oldest first
        self._hash_of: dict[str, str] = {}  # person id -> token hash
        self._sessions: dict[str, str] = {}  # session id -> event id (a session never moves)
        # session id -> (when read, who had a room): the sessions read within ``ttl_s``
        self._placed: dict[str, tuple[float, set[str]]] = {}
        self._loading: dict[str, asyncio.Future] = {}

    def person(self, token_hash: str) -> Identity | None:
        ident = self._people.get(token_hash)
        if ident is not None and self._clock() - ident.at >= self.ttl_s:
            self._drop(ident)
            return None
        return ident

    def event_of(self, session_id: str) -> str | None:
        return self._sessions.get(session_id)

    def keep_session(self, session_id: str, event_id: str) -> None:
        if len(self._sessions) >= self.max_people:
            self._sessions.clear()
        self._sessions[session_id] = event_id

    def keep(self, person) -> Identity:
        self.forget(person.id)
        while len(self._people) >= self.max_people:
            self._drop(next(iter(self._people.values())))
        ident = self._people[person.token_hash] = Identity.of(person, self._clock())
        self._hash_of[person.id] = person.token_hash
        return ident

    def forget(self, person_id: str) -> None:
        """The person's token or identity changed: their next socket asks the database."""
        h = self._hash_of.pop(person_id, None)
        if h is not None:
            self._people.pop(h, None)

    def _drop(self, ident: Identity) -> None:
        if self._people.get(ident.token_hash) is ident:
            del self._people[ident.token_hash]
        if self._hash_of.get(ident.id) == ident.token_hash:
            del self._hash_of[ident.id]

    def placed(self, session_id: str, person_id: str) -> bool:
        """Whether the person had a room in the session when this process last looked
        (a room is kept until the person is removed, so a yes stays true)."""
        entry = self._placed.get(session_id)
        return entry is not None and person_id in entry[1]

    def note_placed(self, session_id: str, person_id: str) -> None:
        entry = self._placed.get(session_id)
        if entry is not None:
            entry[1].add(person_id)

    async def warm(self, db, session_id: str, event_id: str) -> None:
        """Read the event's people and who has a room in the session, once per ``ttl_s``
        however many handshakes miss at once (a storm of first connections)."""
        entry = self._placed.get(session_id)
        if entry is not None and self._clock() - entry[0] < self.ttl_s:
            return
        pending = self._loading.get(session_id)
        if pending is None:
            pending = self._loading[session_id] = asyncio.ensure_future(
                self._load(db, session_id, event_id)
            )
            pending.add_done_callback(lambda _: self._loading.pop(session_id, None))
        await asyncio.shield(pending)

    async def _load(self, db, session_id: str, event_id: str) -> None:
        async with db.quick() as tx:
            people = (
                await tx.exec(
                    select(
                        Person.id,
                        Person.event_id,
                        Person.role,
                        Person.interprets,
                        Person.language,
                        Person.token_hash,
                    ).where(Person.event_id == event_id)
                )
            ).all()
            placed = set(
                (
                    await tx.exec(
                        select(Placement.person_id).where(Placement.session_id == session_id)
                    )
                ).all()
            )
        now = self._clock()
        for ident in [i for i in self._people.values() if now - i.at >= self.ttl_s]:
            self._drop(ident)  # what nobody asked for within ``ttl_s`` leaves memory
        for p in people[: self.max_people]:
            self.keep(p)
        self._placed[session_id] = (now, placed)
        for sid, (at, _) in list(self._placed.items()):  # bounded: recent sessions only
            if now - at >= self.ttl_s:
                del self._placed[sid]
