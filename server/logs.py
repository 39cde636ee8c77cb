"""Structured logging that keeps tokens and secrets out of every log line.

uvicorn logs WebSocket request lines (with the query string) on ``uvicorn.error``;
``--no-access-log`` does not cover them, so redaction sits in the handler's filter and
formatters. Redaction works on the message, never on the encoded JSON line (a pattern
run over JSON eats the backslash of ``\\"`` and breaks the line), and judges query
keys after percent-decoding them: ``?tok%65n=`` is the ``token`` parameter to the
server, so it is one to the redaction too."""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from urllib.parse import unquote, unquote_plus

import orjson

REDACTED = "[redacted]"
# query parameters whose values are secrets (compared after decoding, in lower case)
SECRET_KEYS = frozenset(
    {"token", "access_token", "calendar_token", "secret", "password", "api_key", "key"}
)

# key=value where a query string or a word starts; the value runs to the next & or space
_PAIR_RE = re.compile(r"(?:(?<=[?&\s\"'(])|^)([^=&?#\s\"']+)=([^&#\s\"']*)", re.M)
_AUTH_RE = re.compile(r"\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.I)
# user:pw@ (or a bare user@, often a token) in any URL
_USERINFO_RE = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/?#@\s\"']+@", re.I)
# a path up to its query: /api/calendar/<token>.ics, with any of it percent-encoded
_PATH_RE = re.compile(r"/[^\s\"'?#]+")
_FEED_RE = re.compile(r"(/api/calendar/).*?(\.ics)?$", re.I | re.S)


def _decoded(text: str, unq=unquote) -> str:
    """Percent-decoded until it no longer changes (double encoding included)."""
    for _ in range(4):
        new = unq(text)
        if new == text:
            break
        text = new
    return text


def _pair(m: re.Match) -> str:
    key = _decoded(m.group(1), unquote_plus)
    return f"{key}={REDACTED}" if key.lower() in SECRET_KEYS else m.group(0)


def _path(m: re.Match) -> str:
    path = _decoded(m.group(0))
    if "/api/calendar/" not in path.lower():
        return m.group(0)
    head = path[: path.lower().index("/api/calendar/")]
    tail = path[len(head) :]
    return head + _FEED_RE.sub(lambda f: f.group(1) + REDACTED + (f.group(2) or ""), tail)


def redact(text: str) -> str:
    """``text`` without tokens: secret query values, Authorization values, URL user
    info and calendar-feed paths are replaced by ``[redacted]``. A pass runs only where
    the text holds what it looks for (an ``@``, the scheme's word, a ``%`` or the feed's
    path, an ``=``): a connect storm logs a line per socket, and four regular
    expressions over each were a twentieth of its CPU. ``redact_every_pass`` is the
    same without the checks (the tests compare them)."""
    if "@" in text:
        text = _USERINFO_RE.sub(rf"\1{REDACTED}@", text)
    lower = text.lower()
    if "bearer" in lower or "basic" in lower:
        text = _AUTH_RE.sub(rf"\1{REDACTED}", text)
        lower = text.lower()
    if "%" in text or "/api/calendar/" in lower:
        text = _PATH_RE.sub(_path, text)
    return _PAIR_RE.sub(_pair, text) if "=" in text else text


def redact_every_pass(text: str) -> str:
    text = _USERINFO_RE.sub(rf"\1{REDACTED}@", text)
    text = _AUTH_RE.sub(rf"\1{REDACTED}", text)
    text = _PATH_RE.sub(_path, text)
    return _PAIR_RE.sub(_pair, text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        record.msg, record.args = clean, None
        record.redacted = True  # the formatters need not redact the message again
        return True


class QuietSockets(logging.Filter):
    """uvicorn logs each WebSocket three times at INFO: its request line ("[accepted]"),
    then "connection open" and "connection closed", which name neither the socket nor
    its peer. The last two are kept only at DEBUG: at 5,000 arrivals they were 10,000
    lines of the connect storm's CPU (about 0.1 ms each, formatted and redacted)."""

    NOISE = frozenset({"connection open", "connection closed"})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg not in self.NOISE or logging.getLogger().level <= logging.DEBUG


EXTRA_KEYS = ("session_id", "person_id", "instance")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; every text field is redacted before encoding."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "at": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.msg
            if getattr(record, "redacted", False)
            else redact(record.getMessage()),
        }
        extra = record.__dict__  # where ``extra=`` puts them (``hasattr`` raised inside)
        for key in EXTRA_KEYS:
            if key in extra:
                out[key] = extra[key]
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(out, default=str).decode()


class TextFormatter(logging.Formatter):
    """Plain lines (tracebacks included), redacted as a whole. One record, one line: CR
    and LF in a message (a title or a name a user typed) are written as ``\\r`` and
    ``\\n``, so no text can pass for a record of its own."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

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
    # Neither format prints where a call was made, its thread or its process: not
    # collected (the logging HOWTO's "Optimization"). A connect storm logs a line per
    # socket, and walking the stack for the caller was a tenth of that line's CPU.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    quiet = logging.getLogger("uvicorn.error")
    quiet.filters[:] = [f for f in quiet.filters if not isinstance(f, QuietSockets)]
    quiet.addFilter(QuietSockets())
    # httpx names every webhook receiver's URL at INFO (a receiver URL is often a
    # secret itself); each attempt is in the webhook's delivery list instead.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))
    logging.captureWarnings(True)  # warnings are log lines too (JSON in json mode)
