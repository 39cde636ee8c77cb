"""Stand-ins for the gateway's unit tests: a transport that records its writes under
the fast send path's protocol, a connection of a made-up person, and every kind of
audience target an event can name."""

from __future__ import annotations

from hypothesis import strategies as st

from server.auth import Caller
from server.gateway.connection import Connection
from server.gateway.transport import EXTENSION, FastWebSocketProtocol, Flag
from server.models import Person


class Transport:
    def __init__(self):
        self.writes: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closing


class Protocol:
    """What the gateway reads of ``FastWebSocketProtocol``, over a ``Transport``."""

    writes_now = FastWebSocketProtocol.writes_now

    def __init__(self):
        self.handshake_complete = True
        self.close_sent = self.disconnected = self.paused = False
        self.writable = Flag()
        self.writable.set()
        self.transport = Transport()


class FastSocket:
    """A socket on the fast send path: frames go to its ``Protocol``'s transport."""

    def __init__(self):
        self.proto = Protocol()
        self.scope = {"extensions": {EXTENSION: lambda: self.proto}}


def connection(
    socket,
    pid: str,
    role: str = "participant",
    *,
    room: str | None = "plenary",
    listening: str | None = None,
    booth: str | None = None,
    queue_max: int = 100,
    conn_id: str | None = None,
) -> Connection:
    """``pid``'s connection through ``socket``; an interpreter's in ``booth``."""
    person = Person(id=pid, event_id="e", name=pid, role=role, token_hash="h")
    return Connection(
        socket,
        Caller(person),
        conn_id or f"c-{pid}",
        room_id=room,
        listening=listening,
        booths=frozenset({booth} if role == "interpreter" and booth else ()),
        queue_max=queue_max,
    )


def audience_targets(rooms: list[str], people: list[str], langs: list[str]):
    """Any one target an event's audience can name, over these rooms, people and
    languages (``interpreters:`` is ``floor.upcoming``'s, ``booth:`` a booth's chat)."""
    room_lang = st.tuples(st.sampled_from(rooms), st.sampled_from(langs))
    return st.one_of(
        st.just("session"),
        st.just("moderators"),
        st.sampled_from(rooms).map(lambda r: f"room:{r}"),
        st.sampled_from(people).map(lambda p: f"person:{p}"),
        room_lang.map(lambda t: f"channel:{t[0]}:{t[1]}"),
        st.sampled_from(rooms).map(lambda r: f"interpreters:{r}"),
        room_lang.map(lambda t: f"booth:{t[0]}:{t[1]}"),
    )
