"""A small client of Janus's HTTP API (``/janus``) for the AudioBridge plugin.

One Janus session with one plugin handle per use: the bridge's control handle sends
the synchronous requests (create, allowed, mute, kick, listparticipants); a client
handle joins a room and reads its asynchronous events by long poll."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx

PLUGIN = "janus.plugin.audiobridge"


class JanusError(Exception):
    """Janus or the AudioBridge answered with an error (``code`` when it gave one)."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


# AudioBridge error codes the bridge reacts to
NO_SUCH_ROOM = 485
ROOM_EXISTS = 486
NOT_JOINED = 487
NO_SUCH_USER = 492


class JanusSession:
    """A Janus session and one AudioBridge handle on it."""

    def __init__(self, url: str, http: httpx.AsyncClient | None = None):
        self.url = url.rstrip("/")
        self.http = http or httpx.AsyncClient(timeout=10)
        self._own_http = http is None
        self.session_id: int | None = None
        self.handle_id: int | None = None
        self.events: asyncio.Queue[dict] = asyncio.Queue()
        self._poller: asyncio.Task | None = None

    async def _post(self, path: str, body: dict) -> dict:
        body = {**body, "transaction": secrets.token_hex(8)}
        r = await self.http.post(self.url + path, json=body)
        r.raise_for_status()
        answer = r.json()
        if answer.get("janus") == "error":
            err = answer.get("error", {})
            raise JanusError(err.get("reason", "Janus error"), err.get("code"))
        return answer

    async def open(self, *, poll: bool = False) -> JanusSession:
        created = await self._post("", {"janus": "create"})
        self.session_id = created["data"]["id"]
        attached = await self._post(f"/{self.session_id}", {"janus": "attach", "plugin": PLUGIN})
        self.handle_id = attached["data"]["id"]
        if poll:
            self._poller = asyncio.create_task(self._poll())
        return self

    async def keepalive(self) -> None:
        await self._post(f"/{self.session_id}", {"janus": "keepalive"})

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """A synchronous AudioBridge request; its ``plugindata.data``."""
        answer = await self._post(
            f"/{self.session_id}/{self.handle_id}", {"janus": "message", "body": body}
        )
        data = answer.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise JanusError(data.get("error", "AudioBridge error"), data["error_code"])
        return data

    async def send(self, body: dict[str, Any], jsep: dict | None = None) -> None:
        """An asynchronous request (join, changeroom, configure): its answer is an event.
        ``jsep``: a WebRTC offer, answered in that event's ``jsep``."""
        msg: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            msg["jsep"] = jsep
        await self._post(f"/{self.session_id}/{self.handle_id}", msg)

    async def _poll(self) -> None:
        while True:
            try:
                r = await self.http.get(
                    f"{self.url}/{self.session_id}", params={"maxev": 10}, timeout=40
                )
                items = r.json()
            except (httpx.HTTPError, ValueError):
                await asyncio.sleep(0.2)
                continue
            for item in items if isinstance(items, list) else [items]:
                if item.get("janus") == "event":
                    data = item.get("plugindata", {}).get("data", {})
                    if "jsep" in item:  # the answer to a WebRTC offer
                        data = {**data, "jsep": item["jsep"]}
                    await self.events.put(data)
                elif item.get("janus") in ("hangup", "detached", "timeout"):
                    await self.events.put({"audiobridge": item["janus"]})

    async def wait_event(self, kinds: set[str], timeout: float = 10.0) -> dict:
        """The next event whose ``audiobridge`` is one of ``kinds``; errors raise."""

        async def next_one():
            while True:
                ev = await self.events.get()
                if "error_code" in ev:
                    raise JanusError(ev.get("error", "AudioBridge error"), ev["error_code"])
                if ev.get("audiobridge") in kinds:
                    return ev

        return await asyncio.wait_for(next_one(), timeout)

    async def close(self) -> None:
        if self._poller:
            self._poller.cancel()
        if self.session_id is not None:
            try:  # a Janus that went away must not hold the caller up
                await asyncio.wait_for(self._post(f"/{self.session_id}", {"janus": "destroy"}), 2.0)
            except (httpx.HTTPError, JanusError, TimeoutError):
                pass
        if self._own_http:
            await self.http.aclose()
