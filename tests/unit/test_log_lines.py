"""A text from a user (a title, a name, an address) that reaches a log line cannot
start a line of its own and pass for another record, in either log format."""

from __future__ import annotations

import logging

import orjson
import pytest

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


@pytest.mark.parametrize(("level", "kept"), [("INFO", False), ("DEBUG", True)])
def test_uvicorns_socket_open_and_close_lines_only_at_debug(level, kept, capsys, restore_logging):
    configure("json", level)
    uvicorn = logging.getLogger("uvicorn.error")
    uvicorn.info("connection open")
    uvicorn.info("connection closed")
    uvicorn.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/ws/sessions/s1")
    msgs = [orjson.loads(line)["msg"] for line in capsys.readouterr().err.splitlines()]
    assert msgs[-1].endswith("[accepted]")
    assert ("connection open" in msgs and "connection closed" in msgs) is kept
