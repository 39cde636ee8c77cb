"""Structured logging with a filter that keeps tokens out of every log line.

uvicorn logs WebSocket request lines (with the query string) on ``uvicorn.error``;
``--no-access-log`` does not cover them, so the filter sits on the handlers."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys

import orjson

_TOKEN_RE = re.compile(r"((?:token|access_token|calendar_token)=)[^&\s\"']+", re.I)
_BEARER_RE = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I)
_FEED_RE = re.compile(r"(/api/calendar/)[^/\s.\"']+")


def redact(text: str) -> str:
    text = _TOKEN_RE.sub(r"\1[redacted]", text)
    return _FEED_RE.sub(r"\1[redacted]", _BEARER_RE.sub(r"\1[redacted]", text))


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "at": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("session_id", "person_id", "instance"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(out).decode())


class TextFormatter(logging.Formatter):
    """One record, one line: CR and LF in a message (a title or a name a user typed)
    are written as ``\\r`` and ``\\n``, so no text can pass for a record of its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")


def configure(fmt: str = "json", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactTokens())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
