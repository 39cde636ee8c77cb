"""The FastAPI application and its lifespan: migrate, connect, start the gateway and
the background loops; stop them in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from scheduler.zones import tzdata_version, use_packaged_tzdata

from . import console, errors, features, metrics, migrate, openapi, responses
from .admin_token import load_or_create
from .broker import MemoryBroker
from .brokers import make_broker
from .commands import Commands
from .db import CHECKPOINT_EVERY_S, Database
from .eventlog import prune
from .gateway.hub import Hub
from .gateway.recheck import Recheck
from .loop_lag import watch as watch_loop_lag
from .models import Session
from .nul import RefuseNul
from .services import presence
from .settings import Settings
from .socket_lane import SocketLane
from .state import AppState
from .timers import TimerService

log = logging.getLogger("convene")

MAX_BODY = 1024 * 1024


class BodyLimit:
    """413 for bodies over 1 MiB, by header or by counting what arrives. Plain ASGI:
    Starlette's BaseHTTPMiddleware runs every request in a task group of its own,
    which cost a broadcast call more than its database work."""

    def __init__(self, app):
        self.app = app

    def __call__(self, scope, receive, send):
        """Anything but HTTP goes straight to the app: returning its awaitable, not
        awaiting it here, leaves no frame of this middleware on the stack of each of
        thousands of idle WebSockets."""
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        return self._http(scope, receive, send)

    async def _http(self, scope, receive, send):
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None:
            if length.isdigit() and int(length) > MAX_BODY:
                too_big = errors.problem_response(413, "the request body is over 1 MiB; send less")
                return await too_big(scope, receive, send)
            return await self.app(scope, receive, send)  # the server holds it to its length
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        body = bytearray()  # chunked: read it all first, counting
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay(message), send)
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                too_big = errors.problem_response(413, "the request body is over 1 MiB")
                return await too_big(scope, receive, send)
            if not message.get("more_body", False):
                break
        first = {"type": "http.request", "body": bytes(body), "more_body": False}
        return await self.app(scope, _replay(first, receive), send)


def _replay(first, then=None):
    """A ``receive`` that gives ``first``, then defers to ``then`` (disconnects)."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return first
        if then is None:
            return {"type": "http.disconnect"}
        return await then()

    return receive


async def _every(seconds: float, fn, name: str) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await fn()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed", name)


def create_app(
    settings: Settings | None = None, *, run_migrations: bool = True, installs=features.INSTALLED
) -> FastAPI:
    """A new app with its own ``Wiring``: each feature of ``installs`` adds its part."""
    settings = settings or Settings()
    use_packaged_tzdata()
    wiring = features.wire(installs)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if run_migrations:
            await asyncio.to_thread(migrate.upgrade, settings.database_url)
        token, path = load_or_create(settings)
        if path is not None:
            log.info("admin token is in %s", path.resolve())
        db = Database(settings.database_url)
        broker = make_broker(settings.redis_url, settings.redis_prefix)
        hub = Hub(db, settings.poll_interval_s, settings.feed_recent_bytes)
        cmds = Commands(
            db,
            broker,
            wiring,
            large_room=settings.large_room,
            validate_events=settings.validate_events,
        )
        state = AppState(
            settings=settings,
            db=db,
            broker=broker,
            hub=hub,
            commands=cmds,
            admin_token=token,
            wiring=wiring,
        )
        app.state.convene = state
        hub.on_token_end = state.tokens.forget  # another process's re-issue, seen in a feed
        await broker.start(hub.on_wake)
        cmds.handoff.append(hub.handoff)
        if not isinstance(broker, MemoryBroker):
            # this process's own commits wake its feeds at once, not after Redis's echo
            cmds.after_commit.append(hub.on_wake)
        hub.start()
        state.timers = TimerService(state)
        state.presence = presence.Gate(cmds, settings.instance_id, settings.presence_ttl_s)
        state.recheck = Recheck(db)
        lag = metrics.install(state).loop_lag
        tasks = [
            asyncio.create_task(
                _every(
                    settings.presence_renew_s,
                    lambda: presence.renew(cmds, settings.instance_id, settings.presence_ttl_s),
                    "presence renew",
                )
            ),
            asyncio.create_task(
                _every(
                    min(5.0, settings.presence_ttl_s / 3),
                    lambda: presence.sweep(cmds),
                    "presence sweep",
                )
            ),
            asyncio.create_task(_every(60.0, lambda: _prune_all(state), "log prune")),
            asyncio.create_task(_every(CHECKPOINT_EVERY_S, db.checkpoint, "checkpoint")),
            asyncio.create_task(watch_loop_lag(lag), name="loop-lag"),
            *state.timers.tasks(),
        ]
        for start in wiring.starters:
            tasks.extend(await start(state) or [])
        # What start-up built (modules, mappers, schemas, routes) lives as long as the
        # process: frozen, a full collection scans only what serving made; and a larger
        # first generation lets a command's short-lived objects die before they are
        # promoted. With 1,000 clients, full collections stalled the loop for ~250 ms
        # ten times in a benchmark run; now ~3 times at about half that
        # (docs/performance.md).
        gc.collect()
        gc.freeze()
        gc.set_threshold(5000, 20, 10)
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(BaseException):
                    await t
            await hub.stop()
            with contextlib.suppress(Exception):
                await presence.drop_instance(cmds, settings.instance_id)
            await broker.stop()
            await db.close()

    app = FastAPI(
        title="Convene",
        version="0.1.0",
        summary="Real-time orchestration for online events: sessions, breakouts, "
        "interpretation channels and time zones.",
        lifespan=lifespan,
    )
    app.state.wiring = wiring
    app.add_middleware(SocketLane, routes=wiring.sockets)
    app.add_middleware(BodyLimit)
    app.add_middleware(RefuseNul)
    errors.install(app)
    # The features' routes go into the app's own list: an included router is matched
    # through FastAPI's per-router wrappers (scope bookkeeping for every candidate),
    # which was a tenth of a broadcast POST's CPU (py-spy); the routes already carry
    # their full paths and tags, and the OpenAPI document is the same.
    for r in wiring.routers:
        app.router.routes.extend(r.routes)
    openapi.install(app)
    console.install(app, janus_url=settings.janus_url)

    @app.get(
        "/healthz",
        tags=["operations"],
        responses={200: {"model": responses.Health}, 503: {"model": responses.Health}},
    )
    async def healthz(request: Request):
        state: AppState = request.app.state.convene
        body = {"status": "ok", "instance": settings.instance_id, "tzdata": tzdata_version()}
        try:
            await state.db.ping()
            body["database"] = "ok"
        except Exception as exc:
            body.update(status="unavailable", database=f"unreachable: {type(exc).__name__}")
            return JSONResponse(body, status_code=503)
        body["broker"] = "degraded" if state.broker.degraded else "ok"
        if state.broker.degraded:
            body["status"] = "degraded"
        return body

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def prometheus(request: Request):
        """Prometheus text (OpenMetrics if Accept prefers it): connections, events stored
        and delivered, fan-out latency, slow-client closes, resumes (replay or snapshot),
        broker reconnects."""
        return metrics.of(request.app.state.convene).render(request.headers.get("accept"))

    @app.get("/api/about", tags=["operations"], responses=responses.model(200, responses.About))
    async def about():
        return {"name": "convene", "version": "0.1.0", "tzdata": tzdata_version()}

    return app


async def _prune_all(state: AppState) -> None:
    from sqlmodel import select

    async with state.db.read() as tx:
        ids = (await tx.exec(select(Session.id))).all()
    for sid in ids:

        async def work(tx, s, log):
            await prune(tx, s, state.settings.log_keep_events, state.settings.log_keep_hours)

        await state.commands.run(sid, work, by=None)
