"""Redaction of log lines: every form a token can take, JSON lines stay JSON."""

from __future__ import annotations

import logging
import sys

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.logs import JsonFormatter, TextFormatter, redact, redact_every_pass

SECRET = "Zk9_s3cr3t-T0ken"


@pytest.mark.parametrize(
    "line",
    [
        f'1.2.3.4:5 - "WebSocket /ws/sessions/x?token={SECRET}" [accepted]',
        f"/ws/sessions/x?resume_from=0&tok%65n={SECRET}",
        f"/ws/sessions/x?%74oken={SECRET}&resume_from=0",
        f"/ws/sessions/x?tok%2565n={SECRET}",  # encoded twice
        f"/ws/sessions/x?TOKEN={SECRET}",
        f"/x?access_token={SECRET}",
        f"GET /api/calendar/{SECRET}.ics HTTP/1.1",
        f"GET /api/c%61lendar/{SECRET}.ics",
        f"GET /api%2Fcalendar%2F{SECRET}.ics",
        f"GET /api/calendar/{SECRET}%3Fx%20y.ics",  # decodes to ? and a space
        f'HTTP Request: POST http://hookuser:{SECRET}@127.0.0.1:9/hook "HTTP/1.1 200"',
        f"url 'https://{SECRET}@hooks.example/x' resolves to 10.0.0.1",
        f"Authorization: Bearer {SECRET}",
        f"Authorization: Basic {SECRET}",
    ],
)
def test_a_secret_in_any_form_is_redacted(line):
    out = redact(line)
    assert SECRET not in out and "[redacted]" in out


def test_what_is_not_a_secret_is_kept():
    line = '"WebSocket /ws/sessions/abc?resume_from=4&token=t" [accepted]'
    assert redact(line) == '"WebSocket /ws/sessions/abc?resume_from=4&token=[redacted]" [accepted]'
    assert redact("GET /api/events/e1/calendar.ics") == "GET /api/events/e1/calendar.ics"


def _record(msg, *args, exc=None):
    return logging.LogRecord("uvicorn.error", logging.INFO, "", 0, msg, args, exc)


def test_json_lines_stay_json_and_hold_no_secret():
    try:
        raise RuntimeError(f'failed on "/x?token={SECRET}"')
    except RuntimeError:
        exc = sys.exc_info()
    rec = _record('%s - "WebSocket %s" [accepted]', "1.2.3.4:5", f"/ws?token={SECRET}", exc=exc)
    line = JsonFormatter().format(rec)
    out = orjson.loads(line)  # a backslash eaten by redaction would make this raise
    assert SECRET not in line
    assert out["msg"] == '1.2.3.4:5 - "WebSocket /ws?token=[redacted]" [accepted]'
    assert "token=[redacted]" in out["exc"]


def test_text_lines_redact_tracebacks_too():
    try:
        raise RuntimeError(f"http://u:{SECRET}@h/")
    except RuntimeError:
        exc = sys.exc_info()
    line = TextFormatter("%(message)s").format(_record("delivery failed", exc=exc))
    assert SECRET not in line and "http://[redacted]@h/" in line


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_failing_statement_does_not_name_its_bound_values(backend, tmp_path, request):
    """errors.py logs unhandled exceptions with their message: a database error must
    not carry the values bound to the statement (a webhook secret, say)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from server.db import Database

    url = f"sqlite:///{tmp_path}/x.db" if backend == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    try:
        with pytest.raises(DBAPIError) as err:
            async with db.write() as tx:
                await tx.exec(text("INSERT INTO no_such_table VALUES (:s)"), params={"s": SECRET})
        assert SECRET not in str(err.value)
    finally:
        await db.close()


_PIECES = st.sampled_from(
    [
        "token",
        "tok%65n",
        "%74oken",
        "TOKEN",
        "access_token",
        "secret",
        "key",
        "x",
        "=",
        "&",
        "?",
        "#",
        "%",
        "%2F",
        "%25",
        "%3F",
        "/",
        "@",
        ":",
        "://",
        " ",
        '"',
        "'",
        "(",
        "\n",
        "Bearer ",
        "basic ",
        "bEaReR\t",
        "/api/calendar/",
        "/api/c%61lendar/",
        "/api%2Fcalendar%2F",
        ".ics",
        "http",
        "https://u:p",
        "ws",
        "[redacted]",
        SECRET,
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES | st.text(max_size=3), max_size=14).map("".join))
def test_skipping_the_passes_that_cannot_match_changes_nothing(text):
    """The checks that skip a pass never skip one that would have changed the line."""
    assert redact(text) == redact_every_pass(text)
