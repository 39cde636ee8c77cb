"""Webhook rules as pure functions: signing, retry back-off, which addresses may be
called. The server's outbox and worker do the I/O."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
from urllib.parse import urlsplit

# One attempt as a whole (resolving the host, connecting, sending, the status line)
# may take this long; anything else is a failure.
TIMEOUT_S = 10.0


def sign(secret: str, body: bytes) -> str:
    """The ``X-Convene-Signature`` value: ``sha256=<hex HMAC-SHA256 of the raw body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (documented in docs/webhooks.md): the HMAC of the raw
    body, compared in constant time."""
    return hmac.compare_digest(sign(secret, body).encode(), header.encode())


def describe_status(status: int) -> str | None:
    """``None`` for a delivered attempt (2xx), else the error recorded for it. A
    redirect is a failure: it is never followed (it could lead anywhere)."""
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status} (redirects are not followed)"
    return f"HTTP {status}"


def backoff_s(attempt: int, base_s: float, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempt`` (1 = the first retry): doubling from
    ``base_s`` with up to 25 % jitter, capped at an hour. With the default base of 5 s
    the first retry comes within 30 s, as the contract asks."""
    r = (rng or random).random()
    return min(3600.0, base_s * 2 ** (attempt - 1)) * (1 + 0.25 * r)


class BadTarget(ValueError):
    """A URL that may not be called; the message names it and says why."""


def check_url(url: str) -> tuple[str, int]:
    """``(host, port)`` of an http(s) URL, or ``BadTarget``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadTarget(f"url {url!r} must be an http:// or https:// URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadTarget(f"url {url!r} has an invalid port") from None
    return parts.hostname, port


def non_global(addresses: list[str]) -> list[str]:
    """The addresses a webhook must not reach unless private targets are allowed.
    ``not is_global`` also catches 100.64.0.0/10, which ``is_private`` misses."""
    bad = []
    for a in addresses:
        ip = ipaddress.ip_address(a.split("%", 1)[0])
        if not ip.is_global:
            bad.append(a)
    return bad
