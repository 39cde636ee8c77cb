"""The running service's shared objects, reachable from requests and sockets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from .broker import Broker
from .commands import Commands
from .db import Database
from .gateway.hub import Hub
from .gateway.tokens import TokenCache
from .settings import Settings
from .wiring import Wiring

if TYPE_CHECKING:
    from .gateway.recheck import Recheck
    from .services.presence import Gate


@dataclass
class AppState:
    settings: Settings
    db: Database
    broker: Broker
    hub: Hub
    commands: Commands
    admin_token: str
    wiring: Wiring = field(default_factory=Wiring)
    extra: dict = field(default_factory=dict)
    timers: object | None = None
    presence: Gate | None = None  # this process's arrivals and departures, in batches
    tokens: TokenCache = field(default_factory=TokenCache)  # sockets only, never REST
    recheck: Recheck | None = None  # the handshakes' token re-check, in batches

    def wake_timers(self) -> None:
        """After a commit that set timers: the leader re-reads them now."""
        if self.timers is not None:
            self.timers.wake()


def get_state(conn: HTTPConnection) -> AppState:
    return conn.app.state.convene
