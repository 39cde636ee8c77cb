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
