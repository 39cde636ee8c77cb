"""A session's WebSocket (``/ws/sessions/{id}``): accept, then authenticate (so
browsers see 4401/4403/4404), join presence, send a snapshot or replay from
``resume_from``, then live events."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy import and_
from sqlmodel import select

from .. import errors, metrics, outage
from ..auth import Caller, Perm, caller_for_token
from ..models import EventRecord, Person, Placement, Session, utcnow
from ..numbers import natural
from ..state import AppState, get_state
from . import snapshot
from .connection import Connection
from .frames import LOG_COLUMNS, LogEvent, encode, iso_ms

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


async def _authenticate(state: AppState, ws: WebSocket, session_id: str):
    origin = ws.headers.get("origin")
    allowed = state.settings.origins
    # the service's own console (same scheme-less host as the request) is always allowed
    same_origin = origin is not None and origin.split("://", 1)[-1] == ws.headers.get("host")
    if origin and allowed is not None and origin.rstrip("/") not in allowed and not same_origin:
        return None, None, (FORBIDDEN, "origin not allowed")
    async with state.db.quick() as tx:
        try:
            caller = await caller_for_token(tx, _ws_token(ws), state.admin_token)
        except errors.Problem:
            return None, None, (BAD_TOKEN, "no or bad token")
        session = await tx.get(Session, session_id)
        if session is None or (
            caller.person is not None and caller.person.event_id != session.event_id
        ):
            return None, None, (NO_SESSION, "no such session")
        if not caller.can(Perm.session_read):
            return None, None, (FORBIDDEN, "not allowed")
    return caller, session, None


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
    if person is None:
        return frozenset()
    return frozenset(d.partition(">")[2] for d in person.interprets)


async def serve(ws: WebSocket, session_id: str) -> None:
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


async def _serve(state: AppState, ws: WebSocket, session_id: str) -> None:
    caller, session, refusal = await _authenticate(state, ws, session_id)
    del session
    if refusal:
        await ws.close(*refusal)
        return
    conn_id = str(uuid.uuid4())
    person_id = caller.person_id
    if caller.person is not None:
        await state.presence.join(session_id, caller.person, conn_id)
    feed = None
    conn = None
    try:
        conn, feed = await _start(state, ws, session_id, caller, conn_id)
        del caller  # this frame lives as long as the connection: keep it small
        if conn is None:
            await ws.close(BAD_TOKEN, "the token was re-issued or its person removed")
            return
        await _receive(state, ws, conn)
    except WebSocketDisconnect:
        pass
    finally:
        if conn is not None:
            await conn.stop()
            if feed is not None:
                state.hub.release(feed, conn)
        if person_id is not None:
            try:
                await state.presence.leave(session_id, person_id, conn_id)
            except Exception:
                log.exception("presence leave failed")


async def _start(state: AppState, ws: WebSocket, session_id: str, caller: Caller, conn_id: str):
    """Snapshot (or replay from ``resume_from``), then join the session's feed. What is
    read here (the snapshot, the caller's rows) is dropped when it returns."""
    resume_from = natural(ws.query_params.get("resume_from"))
    person = caller.person
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
    if await _token_ended(state, caller):
        return None, None
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


async def _token_ended(state: AppState, caller: Caller) -> bool:
    """Whether the caller's token ended (re-issued, or its person removed) after the
    handshake read it. Asked once the cursor is fixed: an end at or before the cursor
    is seen here, one after it reaches the connection as its event (it then closes)."""
    if caller.person is None:
        return False
    async with state.db.quick() as tx:
        now = await tx.exec(select(Person.token_hash).where(Person.id == caller.person.id))
        return now.first() != caller.person.token_hash


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
