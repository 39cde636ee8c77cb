"""Real clients: httpx for REST, the ``websockets`` library for the gateway."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


async def eventually(probe, pred, timeout: float = 10.0, every: float = 0.05):
    """Ask ``probe()`` until ``pred`` holds for its answer or ``timeout`` passes; the
    last answer (the caller asserts on it). Only for state that can be observed by
    asking (a row written just after a reply, /healthz); events are waited on."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if pred(value) or loop.time() > deadline:
            return value
        await asyncio.sleep(every)


# httpx's default TLS context, made once: each client would otherwise load the CA
# bundle again (~10-25 ms), and the suite makes thousands of them (plain HTTP anyway)
TLS = httpx.create_ssl_context()


class Api:
    def __init__(self, base: str, token: str | None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=base, headers=headers, timeout=20, verify=TLS)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()

    async def call(self, method: str, path: str, body: Any = None, **kw) -> httpx.Response:
        if body is not None:
            kw["json"] = body
        return await self.http.request(method, path, **kw)

    async def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        r = await self.call(method, path, body)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None


class WS:
    """A WebSocket client that waits on frames with timeouts, never sleeps."""

    def __init__(self, conn: ClientConnection):
        self.conn = conn
        self.frames: list[dict] = []

    async def next(self, timeout: float = 5.0) -> dict:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        frame = orjson.loads(raw)
        self.frames.append(frame)
        return frame

    async def until(self, pred, timeout: float = 5.0) -> dict:
        """The first frame matching ``pred``; earlier frames are kept in ``frames``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.next(max(0.01, deadline - loop.time()))
            if pred(frame):
                return frame

    async def events(self, n: int, timeout: float = 5.0) -> list[dict]:
        return [await self.next(timeout) for _ in range(n)]

    async def send(self, obj: Any) -> None:
        await self.conn.send(obj if isinstance(obj, str | bytes) else orjson.dumps(obj).decode())

    async def closed_with(self, timeout: float = 5.0) -> int:
        """Read until the server closes; the close code."""
        try:
            while True:
                await asyncio.wait_for(self.conn.recv(), timeout)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else 1006

    async def close(self) -> None:
        await self.conn.close()


async def ws_connect(
    server,
    session_id: str,
    token: str | None,
    *,
    resume_from: int | None = None,
    header: bool = False,
    origin: str | None = None,
    max_size: int | None = 2**22,
) -> WS:
    url = f"{server.ws_url}/ws/sessions/{session_id}"
    params = []
    headers = {}
    if token and header:
        headers["Authorization"] = f"Bearer {token}"
    elif token:
        params.append(f"token={token}")
    if resume_from is not None:
        params.append(f"resume_from={resume_from}")
    if params:
        url += "?" + "&".join(params)
    conn = await connect(
        url,
        additional_headers=headers,
        origin=origin,
        open_timeout=10,
        max_size=max_size,
        ping_interval=None,
        max_queue=None,  # tests read at their own pace; never pause the socket
        close_timeout=3,
    )
    return WS(conn)


async def join(server, w: World, *keys: str) -> dict[str, WS]:
    """Connect these people of ``w`` to its session, each past their snapshot."""
    out = {}
    for key in keys:
        out[key] = await ws_connect(server, w.session["id"], w.token(key))
        await out[key].next()
    return out


@dataclass
class World:
    """One event with a session and a person of each role (tokens included)."""

    event: dict
    session: dict
    people: dict[str, dict] = field(default_factory=dict)

    def token(self, key: str) -> str:
        return self.people[key]["token"]

    def id(self, key: str) -> str:
        return self.people[key]["id"]


PEOPLE = {
    "mod": {"name": "Mona Moderator", "role": "moderator", "timezone": "Europe/Berlin"},
    "ar1": {
        "name": "Amal Haddad",
        "role": "interpreter",
        "interprets": ["en>ar", "ar>en"],
        "timezone": "Asia/Amman",
    },
    "ar2": {
        "name": "Omar Khalil",
        "role": "interpreter",
        "interprets": ["en>ar", "ar>en"],
        "timezone": "Asia/Beirut",
    },
    "p1": {
        "name": "Nino Beridze",
        "role": "participant",
        "timezone": "Asia/Tbilisi",
        "language": "ru",
        "email": "nino@example.org",
    },
    "p2": {
        "name": "Rami Aziz",
        "role": "participant",
        "timezone": "Asia/Amman",
        "language": "ar",
        "email": "rami@example.org",
    },
    "p3": {"name": "Jonas Weber", "role": "participant", "timezone": "Europe/Berlin"},
    "obs": {"name": "Media bridge", "role": "observer"},
}


async def make_world(server, *, status: str | None = "live", title: str = "Kick-off") -> World:
    async with Api(server.url, server.admin_token) as admin:
        event = await admin.ok("POST", "/api/events", {"title": title}, 201)
        session = await admin.ok(
            "POST",
            f"/api/events/{event['id']}/sessions",
            {"title": "Kick-off plenary", "start": "2021-08-31T14:00", "end": "2021-08-31T16:00"},
            201,
        )
        world = World(event, session)
        for key, body in PEOPLE.items():
            world.people[key] = await admin.ok(
                "POST", f"/api/events/{event['id']}/people", body, 201
            )
        if status:
            async with Api(server.url, world.token("mod")) as mod:
                await mod.ok("POST", f"/api/sessions/{session['id']}/status", {"status": status})
        return world
