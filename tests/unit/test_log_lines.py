"""A text from a user (a title, a name, an address) that reaches a log line cannot
start a line of its own and pass for another record, in either log format."""

from __future__ import annotations

import logging

import orjson
import pytest

from server.logs import JsonFormatter, configure, redact

FORGED = "Kick-off\r\n1999-01-01 01:00:00,000 CRITICAL convene.auth admin token leaked\rX"


GLOBALS = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    saved = {name: getattr(logging, name) for name in GLOBALS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in saved.items():
        setattr(logging, name, value)


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


def test_a_request_lines_token_is_redacted_once_filtered(capsys, restore_logging):
    """The handler's filter redacts the message; the JSON formatter then uses it as is."""
    configure("json", "INFO")
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "1.2.3.4:5", "/ws/sessions/s?token=Zk9_s3cr3t"
    )
    lines = [orjson.loads(line)["msg"] for line in capsys.readouterr().err.splitlines()]
    assert lines == ['1.2.3.4:5 - "WebSocket /ws/sessions/s?token=[redacted]" [accepted]']


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


def _lines(capsys) -> list[str]:
    log = logging.getLogger("convene.test")
    log.info('%s - "WebSocket %s" [accepted]', "1.2.3.4:5", "/ws/sessions/s?token=Zk9_s3cr3t")
    log.warning("event %s renamed", "e1", extra={"session_id": "s1", "person_id": "p1"})
    log.info("beat", extra={"instance": "i-1"})
    try:
        raise ValueError("bad token=Zk9_s3cr3t")
    except ValueError:
        log.exception("failed for Bearer Zk9_s3cr3t")
    return capsys.readouterr().err.splitlines()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_lines_are_the_same_without_caller_thread_and_process(fmt, capsys, restore_logging):
    """``configure`` stops collecting what neither format prints (where a call was
    made, its thread and process): every line, exception included, is as it was with
    them collected, but for its time."""
    configure(fmt, "INFO")
    assert logging._srcfile is None and not logging.logThreads  # what configure turned off
    lean = _lines(capsys)
    logging._srcfile = logging.__file__  # what logging collects by default
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = True
    full = _lines(capsys)

    def timeless(line: str) -> object:
        if fmt == "json":
            return {k: v for k, v in orjson.loads(line).items() if k != "at"}
        return line.split(" ", 2)[2] if line[:4].isdigit() else line

    assert [timeless(x) for x in lean] == [timeless(x) for x in full]
    assert any("[redacted]" in x for x in lean) and not any("Zk9_s3cr3t" in x for x in lean)
    if fmt == "json":
        extras = [orjson.loads(x) for x in lean]
        assert (extras[1]["session_id"], extras[1]["person_id"], extras[2]["instance"]) == (
            "s1",
            "p1",
            "i-1",
        )
        assert "session_id" not in extras[0] and "exc" in extras[3]


class _OldJsonFormatter(JsonFormatter):
    """The formatter as it read the extras before (``hasattr``/``getattr``)."""

    def format(self, record: logging.LogRecord) -> str:
        import datetime as dt

        out = {
            "at": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.msg
            if getattr(record, "redacted", False)
            else redact(record.getMessage()),
        }
        for key in ("session_id", "person_id", "instance"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(out, default=str).decode()


@pytest.mark.parametrize(
    "extra",
    [{}, {"session_id": "s"}, {"person_id": None, "instance": 3}, {"other": 1, "instance": "i"}],
)
def test_the_json_formatter_reads_extras_as_before(extra):
    record = logging.getLogger("x").makeRecord("x", logging.INFO, "f.py", 1, "m %s", ("a",), None)
    record.__dict__.update(extra)
    assert JsonFormatter().format(record) == _OldJsonFormatter().format(record)
