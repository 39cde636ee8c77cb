"""A session's WebSocket (``/ws/sessions/{id}``): accept, then authenticate (so
browsers see 4401/4403/4404; from the app's token cache where it can), send a
snapshot or replay from ``resume_from`` while the arrival is stored (a newcomer's
first, so that the snapshot shows their room), then live events."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
import uuid

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy import and_
from sqlmodel import select

from .. import errors, metrics, outage
from ..auth import Caller, Perm, Role, caller_for_token, hash_token
from ..models import EventRecord, Person, Placement, Session, utcnow
from ..numbers import natural
from ..state import AppState, get_state
from . import snapshot
from .connection import Connection, booths_of
from .frames import LOG_COLUMNS, LogEvent, encode, iso_ms
from .tokens import Identity

log = logging.getLogger("convene.gateway")

BAD_TOKEN, FORBIDDEN, NO_SESSION, TOO_MANY = 4401, 4403, 4404, 4429


def _ws_token(ws: WebSocket) -> str | None:
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return ws.query_params.get("token") or None


class RateLimit:
    """Token bucket on incoming frames."""

    __slots__ = ("rate", "burst", "tokens", "last")

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


async def _authenticate(state: AppState, ws: WebSocket, session_id: str, *, fresh: bool = False):
    """The caller, from this process's token cache where it can (``fresh``: from the
    database), or the close code and reason that refuse them."""
    origin = ws.headers.get("origin")
    allowed = state.settings.origins
    # the service's own console (same scheme-less host as the request) is always allowed
    same_origin = origin is not None and origin.split("://", 1)[-1] == ws.headers.get("host")
    if origin and allowed is not None and origin.rstrip("/") not in allowed and not same_origin:
        return None, (FORBIDDEN, "origin not allowed")
    token = _ws_token(ws)
    cached = None
    if token and not fresh and not hmac.compare_digest(token.encode(), state.admin_token.encode()):
        cached = await _cached(state, session_id, hash_token(token))
    if cached is not None:
        caller = Caller(cached)
        if cached.event_id != state.tokens.event_of(session_id):
            return None, (NO_SESSION, "no such session")
    else:
        async with state.db.quick() as tx:
            try:
                caller = await caller_for_token(tx, token, state.admin_token)
            except errors.Problem:
                return None, (BAD_TOKEN, "no or bad token")
            session = await tx.get(Session, session_id)
            if session is None or (
                caller.person is not None and caller.person.event_id != session.event_id
            ):
                return None, (NO_SESSION, "no such session")
        state.tokens.keep_session(session.id, session.event_id)
        if caller.person is not None:
            state.tokens.keep(caller.person)
    if not caller.can(Perm.session_read):
        return None, (FORBIDDEN, "not allowed")
    return caller, None


async def _cached(state: AppState, session_id: str, token_hash: str) -> Identity | None:
    """The token's person from the cache, which reads the session's event's people at
    its first miss; None: ask the database (an unknown token, a new person)."""
    cache = state.tokens
    event_id = cache.event_of(session_id)
    if event_id is None:
        async with state.db.quick() as tx:
            s = await tx.get(Session, session_id)
        if s is None:
            return None
        event_id = s.event_id
        cache.keep_session(session_id, event_id)
    ident = cache.person(token_hash)
    if ident is None:
        await cache.warm(state.db, session_id, event_id)
        ident = cache.person(token_hash)
    return ident


async def _resume_point(state: AppState, session_id: str, person_id: str | None, k: int):
    """Whether the log still holds everything after ``k`` and, if so, where the person
    was at ``k`` (room, channel heard): ``(True, room, listening)``, else
    ``(False, None, None)``.

    Where they were is where they are now unless they moved since: then it is the
    ``from_room`` (``previous``) of their first move (channel change) after ``k``.
    Only this person's moves are read: from the feed's memory when it holds them,
    else from the log by its person index; never everyone's (a round opening has a
    thousand)."""
    async with state.db.quick() as tx:  # one statement: the session and the placement
        row = (
            await tx.execute(
                select(Session.log_floor, Session.seq, Placement.room_id, Placement.listening)
                .select_from(Session)
                .outerjoin(
                    Placement,
                    and_(Placement.session_id == Session.id, Placement.person_id == person_id),
                )
                .where(Session.id == session_id)
            )
        ).first()
    if row is None or not row[0] <= k <= row[1]:
        return False, None, None
    head, room, listening = row[1], row[2], row[3]
    if person_id is None:
        return True, None, None
    found = None
    feed = state.hub.feeds.get(session_id)
    if feed is not None:
        await feed.catch_up(head)  # one read for every client waiting on this seq
        if feed.head >= head:
            found = feed.place_as_of(person_id, k)
    if found is None:
        found = await _first_moves(state, session_id, person_id, k)
    moved, changed = found
    if moved is not None:
        room = moved.data.get("from_room")
    if changed is not None:
        listening = changed.data.get("previous")
    return True, room, listening


async def _first_moves(state: AppState, session_id: str, person_id: str, k: int):
    """The person's first ``room.moved`` and first ``listening.changed`` after ``k``,
    from the log (read after the placement, so a move in between is among them)."""
    moved = changed = None
    async with state.db.quick() as tx:
        rows = await tx.execute(
            select(*LOG_COLUMNS)
            .where(
                EventRecord.session_id == session_id,
                EventRecord.person_id == person_id,
                EventRecord.seq > k,
            )
            .order_by(EventRecord.seq)
        )
        for ev in (LogEvent(*r) for r in rows.all()):
            if ev.type == "room.moved" and moved is None:
                moved = ev
            elif ev.type == "listening.changed" and changed is None:
                changed = ev
    return moved, changed


def _booths(person: Person | None) -> frozenset[str]:
    if person is None or person.role != "interpreter":
        return frozenset()
    return booths_of(person.interprets)


async def serve(ws: WebSocket) -> None:
    """The route's endpoint (``/ws/sessions/{session_id}``)."""
    session_id = ws.path_params["session_id"]
    state = get_state(ws)
    await ws.accept()
    try:
        await _serve(state, ws, session_id)
    except Exception as exc:
        # only the handshake (token, presence, snapshot) uses the database: a live
        # socket never gets here, and stays open through an outage
        if not outage.database_unavailable(exc):
            raise
        log.warning("handshake refused, database unavailable: %s", str(exc).splitlines()[0])
        with contextlib.suppress(Exception):  # the client may be gone already
            await ws.close(outage.TRY_AGAIN_LATER, outage.DETAIL)


class _Stale(Exception):
    """A cached identity differs from the database's (role, booths, language changed
    in another process): the handshake starts again from the database."""


async def _serve(state: AppState, ws: WebSocket, session_id: str) -> None:
    caller, refusal = await _authenticate(state, ws, session_id)
    if refusal:
        await ws.close(*refusal)
        return
    conn_id = str(uuid.uuid4())
    person_id = caller.person_id
    feed = None
    conn = None
    joins: list[asyncio.Future | None] = []  # the presence join, once it was asked for
    try:
        try:
            conn, feed = await _start(state, ws, session_id, caller, conn_id, joins)
        except _Stale:
            state.tokens.forget(person_id)
            caller, refusal = await _authenticate(state, ws, session_id, fresh=True)
            if refusal:
                await ws.close(*refusal)
                return
            conn, feed = await _start(state, ws, session_id, caller, conn_id, joins)
        del caller  # this frame lives as long as the connection: keep it small
        if conn is None:
            await ws.close(BAD_TOKEN, "the token was re-issued or its person removed")
            return
        if joins:
            await joins[0]  # a failure (the database went away) ends the socket as before
            joins[0] = None  # stored: the finished task is not held for the socket's life
        await _receive(state, ws, conn)
    except WebSocketDisconnect:
        pass
    finally:
        if conn is not None:
            await conn.stop()
            if feed is not None:
                state.hub.release(feed, conn)
        if joins and joins[0] is not None:
            try:
                await joins[0]  # the lease is ended once it is written
            except Exception:
                joins.clear()  # nothing was written: nothing to end
        if joins:
            try:
                await state.presence.leave(session_id, person_id, conn_id)
            except Exception:
                log.exception("presence leave failed")


async def _start(
    state: AppState,
    ws: WebSocket,
    session_id: str,
    caller: Caller,
    conn_id: str,
    joins: list[asyncio.Future],
):
    """Snapshot (or replay from ``resume_from``), then join the session's feed. What is
    read here (the snapshot, the caller's rows) is dropped when it returns.

    Someone who already has a room in the session gets their snapshot before their
    arrival is stored: the arrival (``presence.joined``) reaches them as a later event.
    A newcomer is placed first, so that their snapshot shows their room and its
    members (a latecomer's breakout room included), as the contract says."""
    resume_from = natural(ws.query_params.get("resume_from"))
    person = caller.person
    if (
        person is not None
        and not joins
        and person.role != Role.OBSERVER
        and not state.tokens.placed(session_id, person.id)
    ):
        joins.append(_join(state, session_id, person, conn_id))
        await joins[0]
        state.tokens.note_placed(session_id, person.id)
    replay = False
    if resume_from is not None:
        replay, room, listening = await _resume_point(
            state, session_id, person.id if person is not None else None, resume_from
        )
        metrics.count_resume(state, replay)
    first = None
    if replay:
        cursor = resume_from
    else:
        ws_base = state.settings.public_url.replace("http", "ws", 1).rstrip("/")
        large_room, parts = state.settings.large_room, state.wiring.snapshot
        snap = await state.hub.snapshot(session_id, caller, large_room, ws_base, parts)
        if snap is None:  # no view here (staff, first connection, an event it cannot follow)
            snap = await snapshot.for_caller(
                state.db, session_id, caller, large_room, ws_base, state.hub.shared, parts
            )
            state.hub.snapshots["database"] += 1
        cursor = snap.pop("seq")
        room, listening = snap["you"]["room_id"], snap["you"]["listening"]
        first = encode({"type": "snapshot", "seq": cursor, "session_id": session_id, "data": snap})
    if await _token_ended(state, session_id, caller):
        return None, None
    if person is not None and not joins:  # after their snapshot: nobody waits for it
        joins.append(_join(state, session_id, person, conn_id, waited_on=False))
    conn = Connection(
        ws,
        caller,
        conn_id,
        room_id=room,
        listening=listening,
        booths=_booths(person),
        queue_max=state.settings.ws_queue_max,
        queue_bytes=state.settings.ws_queue_bytes,
    )
    if first is not None:
        conn.push(first)
    feed = state.hub.feed(session_id, cursor)
    await feed.attach(conn, cursor)
    feed.wake()  # events stored before this feed existed (e.g. our own join) go out now
    return conn, feed


def _join(
    state: AppState, session_id: str, person, conn_id: str, *, waited_on: bool = True
) -> asyncio.Future:
    return state.presence.join_soon(session_id, person, conn_id, waited_on=waited_on)


async def _token_ended(state: AppState, session_id: str, caller: Caller) -> bool:
    """Whether the caller's token ended (re-issued, or its person removed) after the
    handshake read it. Asked once the cursor is fixed: an end at or before the cursor
    is seen here, one after it reaches the connection as its event (it then closes).
    A caller admitted from the token cache is compared whole (``_Stale``)."""
    person = caller.person
    if person is None:
        return False
    now = await state.recheck.person(session_id, person.id)  # batched with others'
    if now is None or now.token_hash != person.token_hash:
        state.tokens.forget(person.id)
        return True
    if isinstance(person, Identity) and not person.same_as(now):
        raise _Stale
    return False


async def _receive(state: AppState, ws: WebSocket, conn: Connection) -> None:
    limit = RateLimit(state.settings.ws_rate_per_s, state.settings.ws_burst)
    while not conn.closing:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            return
        if not limit.allow():
            conn.close_soon(TOO_MANY, "too many frames")
            return
        raw = msg.get("text") if msg.get("text") is not None else msg.get("bytes")
        try:
            frame = orjson.loads(raw)
            kind = frame.get("type") if isinstance(frame, dict) else None
        except (orjson.JSONDecodeError, TypeError):
            conn.push(_error("bad_frame", "frames must be JSON objects with a 'type'"))
            continue
        if kind == "ping":
            conn.push(encode({"type": "pong", "server_time": iso_ms(utcnow())}))
        else:
            conn.push(
                _error(
                    "unknown_type",
                    f'unknown frame type {kind!r}: clients send only {{"type": "ping"}}; '
                    "commands go through the REST API",
                )
            )


def _error(code: str, detail: str) -> str:
    return encode({"type": "error", "error": code, "detail": detail})
