"""Gateway pieces that need no socket: audiences, slow clients, redaction, URLs."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from server.auth import Caller
from server.db import async_url, sync_url
from server.gateway.connection import TOO_SLOW, Connection
from server.gateway.frames import text_frame
from server.logs import RedactTokens, redact
from server.models import EventRecord, Person


class FakeSocket:
    """Records what the connection does; never sends (a client that stopped reading)."""

    def __init__(self):
        self.closed_with = None
        self.application_state = None

    async def send_text(self, _frame):
        await asyncio.Event().wait()

    async def close(self, code, reason=""):
        self.closed_with = code


def _person(role="participant", interprets=()):
    return Person(
        id="p", event_id="e", name="n", role=role, token_hash="h", interprets=list(interprets)
    )


def _ev(audience, seq=1, type_="broadcast.message", data=None):
    return EventRecord(
        session_id="s",
        seq=seq,
        type=type_,
        audience=audience,
        data=data or {},
        at=dt.datetime.now(dt.UTC),
    )


def _conn(role="participant", room="r1", interprets=(), queue_max=10):
    person = _person(role, interprets)
    booths = frozenset(d.partition(">")[2] for d in interprets)
    return Connection(
        FakeSocket(),
        Caller(person),
        "c",
        room_id=room,
        listening=None,
        booths=booths,
        queue_max=queue_max,
    )


@pytest.mark.parametrize(
    "audience,role,room,interprets,sees",
    [
        (["session"], "participant", "r1", (), True),
        (["moderators"], "participant", "r1", (), False),
        (["moderators"], "observer", None, (), True),
        (["room:r1"], "participant", "r1", (), True),
        (["room:r2"], "participant", "r1", (), False),
        (["room:r2"], "moderator", "r1", (), True),
        (["person:p"], "participant", "r1", (), True),
        (["person:q"], "participant", "r1", (), False),
        (["channel:r1:ar"], "interpreter", "r1", ("en>ar",), True),
        (["channel:r1:ar"], "interpreter", "r2", ("en>ar",), False),
        (["channel:r1:ar"], "interpreter", "r1", ("en>ru",), False),
        (["channel:r1:ar"], "participant", "r1", (), False),
    ],
)
def test_audience(audience, role, room, interprets, sees):
    assert _conn(role, room, interprets).sees(_ev(audience)) is sees


def test_audience_follows_own_moves():
    c = _conn(room="r1")
    c.observe(
        _ev(
            ["person:p"],
            type_="room.moved",
            data={"person_id": "p", "from_room": "r1", "to_room": "r2"},
        )
    )
    assert c.room_id == "r2"
    assert c.sees(_ev(["room:r2"])) and not c.sees(_ev(["room:r1"]))


async def test_a_client_that_falls_behind_is_closed_4408_without_blocking():
    c = _conn(queue_max=5)
    for i in range(5):
        assert c.push(text_frame(b"frame %d" % i))
    assert not c.push(text_frame(b"one too many"))  # returns at once: nobody waits for this client
    assert c.closing and c.close_code == TOO_SLOW
    assert not c.push(text_frame(b"after close"))
    await c.stop()


async def test_a_client_whose_backlog_outgrows_its_bytes_is_closed_4408():
    c = _conn(queue_max=1000)
    c.queue_bytes = 10_000
    assert c.push(text_frame(b"s" * 5000))  # handed to the socket, which never takes it
    for _ in range(3):
        assert c.push(text_frame(b"b" * 2996))  # 9,000 bytes waiting: still under the bound
    assert not c.push(
        text_frame(b"b" * 2996)
    )  # 12,000: far fewer frames than queue_max, yet too much
    assert c.closing and c.close_code == TOO_SLOW
    await c.stop()


def test_redaction_hides_tokens_in_query_strings_and_headers():
    line = 'WebSocket /ws/sessions/x?token=abc.DEF-123&resume_from=4 "Bearer s3cr3t"'
    out = redact(line)
    assert "abc.DEF-123" not in out and "s3cr3t" not in out and "resume_from=4" in out
    rec = logging.LogRecord(
        "uvicorn.error", logging.INFO, "", 0, '%s - "%s"', ("1.2.3.4", "GET /?token=zzz"), None
    )
    RedactTokens().filter(rec)
    assert "zzz" not in rec.getMessage()


def test_database_urls_pick_their_own_drivers():
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("sqlite:////abs/x.db") == "sqlite+aiosqlite:////abs/x.db"
    # PostgreSQL: a connection attempt gives up after 10 s unless the URL says
    assert async_url("postgresql://u@h:5432/d") == (
        "postgresql+psycopg://u@h:5432/d?connect_timeout=10"
    )
    assert sync_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d?connect_timeout=10"
    assert sync_url("postgres://u@h/d?connect_timeout=3") == (
        "postgresql+psycopg://u@h/d?connect_timeout=3"
    )


class PausedSocket(FakeSocket):
    """A transport that asked to pause writing: sends wait until ``writable`` is set."""

    def __init__(self):
        super().__init__()
        self.writable = asyncio.Event()
        self.sent: list[str] = []

    async def send_text(self, frame):
        await self.writable.wait()
        self.sent.append(frame)


async def test_a_stalled_send_resumes_and_drains_its_backlog_in_order():
    c = _conn(queue_max=10)
    c.ws = socket = PausedSocket()
    for i in range(4):
        assert c.push(text_frame(b"frame %d" % i))
    assert socket.sent == [] and c.pending == 4
    socket.writable.set()
    for _ in range(50):
        if c.pending == 0:
            break
        await asyncio.sleep(0)  # yields to the drain task; no timing involved
    assert socket.sent == [f"frame {i}" for i in range(4)]
    assert c.push(text_frame(b"after")) and socket.sent[-1] == "after" and not c.closing
    await c.stop()
