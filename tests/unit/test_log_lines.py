"""A text from a user (a title, a name, an address) that reaches a log line cannot
start a line of its own and pass for another record, in either log format."""

from __future__ import annotations

import asyncio
import logging

import orjson
import pytest
import uvicorn
from uvicorn.server import ServerState

from server.gateway.transport import PROTOCOL_LOG, FastWebSocketProtocol
from server.logs import configure

FORGED = "Kick-off\r\n1999-01-01 01:00:00,000 CRITICAL convene.auth admin token leaked\rX"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_one_record_is_one_line(fmt, capsys, restore_logging):
    configure(fmt, "INFO")
    logging.getLogger("convene.test").warning("session %r renamed to %s", "s1", FORGED)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert not any(line.startswith("1999-01-01") for line in lines)
    if fmt == "json":
        assert orjson.loads(lines[0])["msg"].endswith(FORGED)
    else:
        assert "Kick-off\\r\\n1999-01-01" in lines[0]


def test_the_websockets_librarys_info_lines_are_dropped_its_errors_kept(capsys, restore_logging):
    """Its "connection open"/"connection closed" repeat uvicorn's own lines: two more
    records a socket at INFO; the "[accepted]" line stays, its token redacted once."""
    configure("json", "INFO")
    ws_log = logging.getLogger("uvicorn.error.websockets")
    ws_log.info("connection open")
    ws_log.error("opening handshake failed")
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "1.2.3.4:5", "/ws/sessions/s?token=Zk9_s3cr3t"
    )
    lines = [orjson.loads(line)["msg"] for line in capsys.readouterr().err.splitlines()]
    assert lines == [
        "opening handshake failed",
        '1.2.3.4:5 - "WebSocket /ws/sessions/s?token=[redacted]" [accepted]',
    ]


def test_the_sockets_protocol_logs_through_that_logger():
    async def app(scope, receive, send):
        return None

    async def made():
        cfg = uvicorn.Config(app, ws=FastWebSocketProtocol, ws_per_message_deflate=False)
        cfg.load()
        return FastWebSocketProtocol(cfg, ServerState(), {})

    assert asyncio.run(made()).conn.logger is PROTOCOL_LOG
