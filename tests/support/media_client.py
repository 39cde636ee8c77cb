"""A test participant as a real client must be: it follows its own WebSocket, asks
GET .../media after each change that may move it, joins AudioBridge rooms with its
ticket (plain RTP), and re-joins after Janus restarts."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
from websockets.exceptions import ConnectionClosed

from server.media.janus import JanusError, JanusSession
from tests.support.client import ws_connect
from tests.support.rtp_audio import RtpPeer, encode_tone, silence

REPLACE_ON = {
    "room.moved",
    "listening.changed",
    "channel.updated",
    "floor.language",
    "breakout.opened",
    "breakout.closed",
}


class Handle:
    """One Janus session + AudioBridge handle + RTP socket, in one room at a time."""

    def __init__(self, janus_url: str, listen: bool, received: list | None = None):
        self.janus_url = janus_url
        self.received = received
        self.listen = listen
        self.session: JanusSession | None = None
        self.peer: RtpPeer | None = None
        self.room: str | None = None

    async def join(self, join: dict, packets: list[bytes] | None, timeout: float = 15.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self.session is None:
            session = JanusSession(self.janus_url)
            try:
                await session.open(poll=True)
            except BaseException:
                await session.close()
                raise
            self.session = session
            self.peer = await RtpPeer.open(packets, self.received)
            self.room = None
        self.peer.packets = packets or silence()
        while True:
            body = {"room": join["room"], "id": join["id"], "token": join["token"], "muted": True}
            try:
                if self.room is None:
                    rtp = {"payload_type": 111}
                    if self.listen:  # speak-only joins get nothing back
                        rtp.update(ip="127.0.0.1", port=self.peer.port)
                    await self.session.send({"request": "join", **body, "rtp": rtp})
                    ev = await self.session.wait_event({"joined"}, 5)
                    self.peer.start_sending((ev["rtp"]["ip"], ev["rtp"]["port"]))
                else:
                    await self.session.send({"request": "changeroom", **body})
                    await self.session.wait_event({"roomchanged"}, 5)
                self.room, self.id = join["room"], join["id"]
                return
            except (JanusError, TimeoutError) as exc:
                if self.room is not None:  # kicked (moved away) or gone: start afresh
                    await self.close()
                    self.session = None
                    self.peer = await RtpPeer.open(packets, self.received)
                    self.session = await JanusSession(self.janus_url).open(poll=True)
                    self.room = None
                if loop.time() > deadline:
                    raise AssertionError(f"could not join {join['room']}: {exc}") from exc
                await asyncio.sleep(0.1)  # the bridge has not created or allowed it yet

    async def alive(self) -> bool:
        """False once Janus hung this handle up, kicked it, or lost its session."""
        if self.session is None:
            return False
        while not self.session.events.empty():
            ev = self.session.events.get_nowait()
            if ev.get("audiobridge") == "hangup" or (
                self.room is not None and ev.get("kicked") == getattr(self, "id", None)
            ):
                return False
        try:
            await self.session.keepalive()
            return True
        except (JanusError, httpx.HTTPError):
            return False

    async def close(self) -> None:
        if self.session:
            await self.session.close()
        if self.peer:
            self.peer.close()


class Participant:
    def __init__(self, server, session_id: str, token: str, tone_hz: float | None = None):
        self.server, self.sid, self.token = server, session_id, token
        self.tone = encode_tone(tone_hz) if tone_hz else None
        self.ticket: dict | None = None
        self.listen: Handle | None = None
        self.speak: dict[str, Handle] = {}
        self.placed = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.errors: list[BaseException] = []
        self.heard: list = []  # what every listen join received, in order of arrival

    async def start(self) -> Participant:
        self.ws = await ws_connect(self.server, self.sid, self.token)
        self.seq = (await self.ws.next())["seq"]  # snapshot
        await self.place()
        self._task = asyncio.create_task(self._follow())
        return self

    async def _ticket(self) -> dict:
        async with httpx.AsyncClient(
            base_url=self.server.url, headers={"Authorization": f"Bearer {self.token}"}
        ) as http:
            for _ in range(100):
                r = await http.get(f"/api/sessions/{self.sid}/media")
                if r.status_code == 200:
                    return r.json()
                assert r.status_code == 409, r.text  # not placed yet
                await asyncio.sleep(0.1)
        raise AssertionError("never placed in a room")

    async def place(self, fresh: bool = False) -> None:
        ticket = await self._ticket()
        if fresh:  # Janus restarted: every session is gone
            for h in [self.listen, *self.speak.values()]:
                if h:
                    await h.close()
            self.listen, self.speak = None, {}
        janus = ticket["janus_url"]
        speak_rooms = {j["room"]: j for j in ticket["speak"]}
        if self.listen is None:
            self.listen = Handle(janus, listen=True, received=self.heard)
        if self.listen.room != ticket["listen"]["room"]:
            mic = self.tone if ticket["listen"]["room"] in speak_rooms else None
            await self.listen.join(ticket["listen"], mic)
        else:
            self.listen.peer.packets = (
                self.tone if self.listen.room in speak_rooms and self.tone else silence()
            )
        wanted = {r: j for r, j in speak_rooms.items() if r != ticket["listen"]["room"]}
        for room in list(self.speak):
            if room not in wanted:
                await self.speak.pop(room).close()
        for room, join in wanted.items():
            if room not in self.speak:
                h = self.speak[room] = Handle(janus, listen=False)
                await h.join(join, self.tone)
        self.ticket = ticket
        self.placed.set()

    async def _follow(self) -> None:
        while True:
            try:
                frame = await self.ws.next(timeout=0.5)
                self.seq = frame.get("seq", self.seq)
            except TimeoutError:
                frame = None
            except ConnectionClosed:  # the service restarted: resume where we were
                try:
                    self.ws = await ws_connect(
                        self.server, self.sid, self.token, resume_from=self.seq
                    )
                    frame = {"type": "room.moved"}  # whatever was missed: ask again
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
            try:
                if frame is not None and frame.get("type") in REPLACE_ON:
                    await self.place()
                elif frame is None and not await self._alive():
                    await self.place(fresh=True)
            except (httpx.HTTPError, JanusError, OSError):
                await asyncio.sleep(0.2)  # Janus is restarting: the next round re-joins
            except Exception as exc:  # kept for the test to see
                self.errors.append(exc)
                await asyncio.sleep(0.2)

    async def _alive(self) -> bool:
        handles = [self.listen, *self.speak.values()]
        return all([h is not None and await h.alive() for h in handles])

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        for h in [self.listen, *self.speak.values()]:
            if h:
                await h.close()
        await self.ws.close()
