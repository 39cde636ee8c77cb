"""Where features plug into the core: one ``Wiring`` per app, built in ``create_app``.

Each feature has one ``install(w: Wiring)`` function (``server/features.py`` lists
them) that adds its router and, where it needs them, its followers, hooks, timer
handlers, snapshot part and background starters. Nothing is registered at import
time, so two apps in one process share nothing, and a reader finds every feature's
wiring in one place. A new feature (chat, a speaker queue) writes its own
``install`` and adds it to ``features.INSTALLED``; see ``docs/architecture.md``.

The hooks run inside the command's transaction, in the order they were installed:

- ``followers``: ``async (tx, session, log) -> None`` after the command's work, when it
  stored events; a follower reads what happened through ``log.happened(Kind)`` (typed
  events, not type strings) and may store more events.
- ``before_commit``: ``async (tx, session, records) -> None`` after the followers (the
  webhook outbox writes its rows here, so they commit or roll back with the events).
- ``on_join``: ``async (tx, session, person, placement, log) -> None`` when a person
  arrives (a latecomer goes into the open round's room).
- ``on_round_open``: ``async (tx, breakout_state, round) -> {person: room}`` people who
  go with the round though its plan does not name them (interpreters into language
  rooms); the domain's ``open_round`` moves them.
- ``on_round_planned``: ``(people, rooms, floor_language) -> dict`` added to the
  moderator's view of a round just planned (the rooms no interpreter covers).
- ``on_move``: ``async (tx, breakout_state, log, person_id, room_id) -> None`` after a
  single move (a moderator entering a room resolves its help requests).
- ``timers``: ``kind -> async (tx, session, log, timer, late_s) -> None``.
- ``snapshot``: ``async (tx, session, event, caller, data, memo) -> None``, a part of
  the WebSocket snapshot.
- ``starters``: ``async (state) -> [tasks]`` background loops started with the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.routing import BaseRoute

Hook = Callable[..., Awaitable[Any]]
Note = Callable[..., dict[str, Any]]


@dataclass
class Wiring:
    routers: list[APIRouter] = field(default_factory=list)
    # WebSocket routes, served by server/socket_lane.py ahead of the framework's
    # layers, whose frames every idle socket would hold
    sockets: list[BaseRoute] = field(default_factory=list)
    followers: list[Hook] = field(default_factory=list)
    before_commit: list[Hook] = field(default_factory=list)
    on_join: list[Hook] = field(default_factory=list)
    on_round_open: list[Hook] = field(default_factory=list)
    on_round_planned: list[Note] = field(default_factory=list)
    on_move: list[Hook] = field(default_factory=list)
    timers: dict[str, Hook] = field(default_factory=dict)
    snapshot: list[Hook] = field(default_factory=list)
    starters: list[Hook] = field(default_factory=list)

    def timer(self, kind: str, handler: Hook) -> None:
        """One handler per timer kind: a second one is a wiring mistake."""
        if kind in self.timers:
            raise ValueError(f"timer kind {kind!r} is already handled")
        self.timers[kind] = handler
