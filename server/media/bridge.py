"""``convene media-bridge``: follows one session as an observer and keeps a Janus
AudioBridge equal to what the session implies (server/media/topology.py).

A client of the public contract only (observer token, WebSocket, REST), so one bridge
serves one Convene process or several, and survives failover by resuming with
``resume_from``. The reconcile loop diffs Janus against the plan and applies the
difference, unmutes before mutes (a handover never goes silent), every ``poll_s``
and at once after each event. After Janus restarts its rooms are gone: the loop
finds that out and creates them again; clients re-join with their tickets."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import time
from dataclasses import dataclass, field

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from . import tickets
from .follower import Follower
from .janus import NO_SUCH_ROOM, NO_SUCH_USER, NOT_JOINED, ROOM_EXISTS, JanusError, JanusSession
from .topology import AudioRoom, desired

log = logging.getLogger("convene.media")
STOP = {4401, 4403, 4404}  # the token or the session is wrong: retrying will not help


class BridgeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.lag = Gauge(
            "convene_media_bridge_lag_seconds",
            "from the latest event's instant to Janus matching it",
            registry=r,
        )
        self.errors = Counter(
            "convene_media_bridge_errors", "failed Janus or Convene calls", ["kind"], registry=r
        )
        self.reconciles = Counter(
            "convene_media_bridge_reconciles", "passes that changed Janus", registry=r
        )
        self.recreated = Counter(
            "convene_media_bridge_rooms_created", "AudioBridge rooms created", registry=r
        )
        self.rooms = Gauge("convene_media_bridge_rooms", "AudioBridge rooms kept", registry=r)
        self.remuted = Counter(
            "convene_media_bridge_remuted", "participants who unmuted themselves", registry=r
        )
        self.kicked = Counter("convene_media_bridge_kicked", "participants kicked", registry=r)
        self.overlap = Histogram(
            "convene_media_bridge_switch_seconds",
            "from the first unmute to the last mute of one pass (a handover's overlap)",
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
            registry=r,
        )
        self.resumes = Counter(
            "convene_media_bridge_resumes", "WebSocket reconnects", ["how"], registry=r
        )


@dataclass
class BridgeConfig:
    convene_url: str  # http(s)://host:port
    session_id: str
    token: str
    janus_url: str
    admin_key: str | None
    secret: str
    generation: int = 1
    poll_s: float = 0.3
    # a participant no longer allowed is kicked once it has stayed this long: a client
    # that follows its own room.moved changes room first (a kick that crosses its
    # changeroom would hang it up in its new room); its token is withdrawn at once
    kick_grace_s: float = 2.0
    # an unmuted voice is heard only once Janus's jitter buffer for it refilled (it
    # drops a muted participant's packets and clears the buffer on unmute): the old
    # voice is muted this long after the new one is unmuted, so a handover never
    # goes silent; measured in convene_media_bridge_switch_seconds
    switch_delay_s: float = 0.2


@dataclass
class _Applied:
    allowed: set[str] = field(default_factory=set)  # tokens


class Bridge:
    def __init__(self, cfg: BridgeConfig, metrics: BridgeMetrics | None = None):
        self.cfg = cfg
        self.metrics = metrics or BridgeMetrics()
        self.state = Follower()
        self.changed = asyncio.Event()
        self.synced = False  # a snapshot was loaded
        self.janus: JanusSession | None = None
        self.applied: dict[str, _Applied] = {}  # rooms this bridge created or adopted
        self.strangers: dict[tuple[str, str], float] = {}  # (room, participant) -> seen

    # ---- Convene side ------------------------------------------------------------------

    async def follow(self) -> None:
        """The observer socket, resumed after every close but 4401/4403/4404."""
        delay = 0.2
        base = self.cfg.convene_url.replace("http", "ws", 1).rstrip("/")
        while True:
            url = f"{base}/ws/sessions/{self.cfg.session_id}"
            if self.state.seq is not None:
                url += f"?resume_from={self.state.seq}"
            try:
                async with connect(
                    url,
                    additional_headers={"Authorization": f"Bearer {self.cfg.token}"},
                    compression=None,
                    max_size=2**24,
                    open_timeout=10,
                ) as ws:
                    delay = 0.2
                    async for raw in ws:
                        frame = json.loads(raw)
                        kind = frame.get("type")
                        if kind == "snapshot":
                            if self.synced:
                                self.metrics.resumes.labels("snapshot").inc()
                            self.state.load(frame)
                            self.synced = True
                        elif kind in ("pong", "error") or "seq" not in frame:
                            continue
                        else:
                            self.state.apply(frame)
                        self.changed.set()
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code in STOP:
                    raise RuntimeError(f"Convene closed the socket: {exc.rcvd.code}") from exc
            except InvalidStatus as exc:
                self.metrics.errors.labels("convene").inc()
                log.warning("WebSocket refused: %s", exc.response.status_code)
            except (OSError, TimeoutError):
                self.metrics.errors.labels("convene").inc()
            self.metrics.resumes.labels("resume").inc()
            await asyncio.sleep(delay + random.random() * delay)
            delay = min(delay * 2, 5)

    async def _learn_people(self, http: httpx.AsyncClient) -> None:
        if not self.state.unknown or not self.state.event_id:
            return
        for pid in list(self.state.unknown):
            r = await http.get(
                f"{self.cfg.convene_url}/api/events/{self.state.event_id}/people/{pid}",
                headers={"Authorization": f"Bearer {self.cfg.token}"},
            )
            if r.status_code == 200:
                self.state.learn(r.json())
            elif r.status_code == 404:
                self.state.unknown.discard(pid)

    # ---- Janus side --------------------------------------------------------------------

    async def _control(self) -> JanusSession:
        if self.janus is None:
            self.janus = await JanusSession(self.cfg.janus_url).open()
            self.applied = {}  # a new Janus session: check every room again
        return self.janus

    def _token(self, pid: str, room: str) -> str:
        return tickets.join_token(self.cfg.secret, pid, room, self.cfg.generation)

    def _pid(self, pid: str, room: str) -> str:
        return tickets.participant_id(self.cfg.secret, pid, room, self.cfg.generation)

    def _secret(self, room: str) -> str:
        return tickets.room_secret(self.cfg.secret, room)

    async def _ensure(self, j: JanusSession, room: AudioRoom) -> None:
        tokens = {self._token(p, room.id) for p in room.allowed}
        applied = self.applied.get(room.id)
        if applied is None:
            body = {
                "request": "create",
                "room": room.id,
                "description": room.id,
                "secret": self._secret(room.id),
                "is_private": True,
                "allowed": sorted(tokens),
                "allow_rtp_participants": True,
                "sampling_rate": 16000,
                "audiolevel_ext": False,
            }
            if self.cfg.admin_key:
                body["admin_key"] = self.cfg.admin_key
            try:
                await j.request(body)
                log.info("created %s", room.id)
                self.metrics.recreated.inc()
                self.applied[room.id] = _Applied(set(tokens))
                return
            except JanusError as exc:
                if exc.code != ROOM_EXISTS:
                    raise
            # made by an earlier bridge run: adopt it, starting from its current list
            answer = await j.request(self._allowed(room.id, "enable", []))
            applied = self.applied[room.id] = _Applied(set(answer.get("allowed", [])))
        add, remove = tokens - applied.allowed, applied.allowed - tokens
        if add:
            await j.request(self._allowed(room.id, "add", sorted(add)))
        if remove:
            await j.request(self._allowed(room.id, "remove", sorted(remove)))
        applied.allowed = tokens

    def _allowed(self, room: str, action: str, tokens: list[str]) -> dict:
        body = {"request": "allowed", "room": room, "secret": self._secret(room), "action": action}
        if action in ("add", "remove"):
            body["allowed"] = tokens
        return body

    async def reconcile(self) -> bool:
        """One pass; True when it changed something in Janus."""
        plan = desired(self.state.media_state()) if self.synced else {}
        j = await self._control()
        for room in plan.values():
            await self._ensure(j, room)
        lists = await asyncio.gather(
            *(j.request({"request": "listparticipants", "room": r}) for r in plan),
            return_exceptions=True,
        )
        unmute, mute, kick = [], [], []
        now, seen = time.monotonic(), set()
        for room, answer in zip(plan.values(), lists, strict=True):
            if isinstance(answer, JanusError) and answer.code == NO_SUCH_ROOM:
                self.applied.pop(room.id, None)  # gone (Janus restarted): next pass
                continue
            if isinstance(answer, BaseException):
                raise answer
            who = {self._pid(p, room.id): p for p in room.allowed}
            for part in answer.get("participants", []):
                person = who.get(part["id"])
                if person is None:
                    key = (room.id, part["id"])
                    seen.add(key)
                    if now - self.strangers.setdefault(key, now) >= self.cfg.kick_grace_s:
                        kick.append(key)
                elif person in room.unmuted and part.get("muted"):
                    unmute.append((room.id, part["id"]))
                elif person not in room.unmuted and not part.get("muted"):
                    mute.append((room.id, part["id"]))
        self.strangers = {k: v for k, v in self.strangers.items() if k in seen}
        first = time.monotonic()
        for room_id, pid in unmute:  # the new voice first: a switch never goes silent
            await self._participant(j, "unmute", room_id, pid)
        if unmute and mute:
            await asyncio.sleep(self.cfg.switch_delay_s)
        for room_id, pid in mute:
            await self._participant(j, "mute", room_id, pid)
        if unmute and mute:
            self.metrics.overlap.observe(time.monotonic() - first)
        for room_id, pid in kick:
            log.info("kicking %s from %s: not someone of that room", pid, room_id)
            await self._participant(j, "kick", room_id, pid)
        self.metrics.kicked.inc(len(kick))
        stale = [r for r in self.applied if r not in plan]
        for room_id in stale:
            log.info("destroying %s: the session no longer has it", room_id)
            try:
                await j.request(
                    {"request": "destroy", "room": room_id, "secret": self._secret(room_id)}
                )
            except JanusError as exc:
                if exc.code != NO_SUCH_ROOM:
                    raise
            del self.applied[room_id]
        self.metrics.rooms.set(len(self.applied))
        return bool(unmute or mute or kick or stale)

    async def _participant(self, j: JanusSession, what: str, room: str, pid: str) -> None:
        try:
            await j.request(
                {"request": what, "room": room, "id": pid, "secret": self._secret(room)}
            )
        except JanusError as exc:
            if exc.code not in (NO_SUCH_USER, NO_SUCH_ROOM, NOT_JOINED):
                raise

    def _record_lag(self) -> None:
        if self.state.last_at:
            at = dt.datetime.fromisoformat(self.state.last_at.replace("Z", "+00:00"))
            self.metrics.lag.set(max(0.0, (dt.datetime.now(dt.UTC) - at).total_seconds()))

    async def run_reconcile(self) -> None:
        """Reconcile after every change, and every ``poll_s`` (self-unmutes, restarts)."""
        async with httpx.AsyncClient(timeout=10) as http:
            last_keepalive = time.monotonic()
            while True:
                try:
                    await asyncio.wait_for(self.changed.wait(), self.cfg.poll_s)
                except TimeoutError:
                    pass
                self.changed.clear()
                try:
                    await self._learn_people(http)
                    changed = await self.reconcile()
                    if changed:
                        self.metrics.reconciles.inc()
                    self._record_lag()
                    if time.monotonic() - last_keepalive > 20:
                        await self.janus.keepalive()
                        last_keepalive = time.monotonic()
                except (httpx.HTTPError, JanusError, OSError) as exc:
                    self.metrics.errors.labels("janus").inc()
                    log.warning("reconcile failed: %s: %s", type(exc).__name__, exc)
                    if self.janus is not None:
                        await self.janus.close()
                    self.janus = None  # Janus restarted or went away: start over
                    await asyncio.sleep(self.cfg.poll_s)

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.follow()), asyncio.create_task(self.run_reconcile())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for t in done:
                t.result()
        finally:
            for t in tasks:
                t.cancel()
            if self.janus is not None:
                await self.janus.close()
