"""Webhook rules as pure functions: signing, retry back-off, which addresses may be
called. The server's outbox and worker do the I/O."""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import ipaddress
import random
import re
from urllib.parse import urlsplit

# One attempt as a whole (resolving the host, connecting, sending, the status line)
# may take this long; anything else is a failure.
TIMEOUT_S = 10.0


def sign(secret: str, body: bytes) -> str:
    """The ``X-Convene-Signature`` value: ``sha256=<hex HMAC-SHA256 of the raw body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


WHSEC = "whsec_"


def standard_key(secret: str) -> bytes:
    """The Standard Webhooks key: a ``whsec_`` secret's base64-decoded bytes (24-64 of
    them), any other secret's UTF-8 bytes. ``ValueError`` (naming no part of the secret)
    for a ``whsec_`` secret that does not decode to that."""
    if not secret.startswith(WHSEC):
        return secret.encode()
    try:
        key = base64.b64decode(secret[len(WHSEC) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a whsec_ secret must be whsec_ followed by base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError(f"a whsec_ secret must decode to 24-64 bytes, not {len(key)}")
    return key


def standard_signatures(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256 of
    "{id}.{timestamp}.{body}">`` per key, space-separated (the current key first)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(k, signed, hashlib.sha256).digest()).decode()
        for k in keys
    )


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
    """A URL that may not be called; the message names it and says why. ``final``: it
    never can be (malformed, or an IP literal that is refused), so retrying is useless."""

    def __init__(self, message: str, final: bool = False):
        super().__init__(message)
        self.final = final


class Reach(enum.Enum):
    """Where an address leads: ``PUBLIC`` may always be called, ``PRIVATE`` (loopback,
    private, link-local, reserved, IPv4 of those inside IPv6) only with
    ``CONVENE_WEBHOOK_ALLOW_PRIVATE=1``, ``NEVER`` (multicast, unspecified, broadcast:
    not one receiver, or the local machine under another name) never."""

    PUBLIC = "public"
    PRIVATE = "private"
    NEVER = "never"


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215, not global
_BROADCAST = ipaddress.ip_address("255.255.255.255")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def _embedded(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, which a relay or the kernel may
    reach: IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo (server and client).
    ``ipaddress`` does not look inside them before ``is_global``."""
    out = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 1):  # NAT64, ::a.b.c.d
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    return out


def reach(address: str) -> Reach:
    """Classify one resolved address (``%zone`` suffixes ignored)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    inner = _embedded(ip) if ip.version == 6 else []
    every = [ip, *inner]
    if any(a.is_multicast or a.is_unspecified or a == _BROADCAST for a in every):
        return Reach.NEVER
    if not all(a.is_global for a in every) or (ip.version == 6 and ip in _NAT64_LOCAL):
        return Reach.PRIVATE
    return Reach.PUBLIC


def refused(addresses: list[str], allow_private: bool) -> list[str]:
    """The addresses a webhook must not reach under the setting."""
    allowed = {Reach.PUBLIC, Reach.PRIVATE} if allow_private else {Reach.PUBLIC}
    return [a for a in addresses if reach(a) not in allowed]


def _host(raw: str, url: str) -> str:
    """The host to resolve: an IP literal as is, a name in its ASCII (IDNA) form with
    every label a valid hostname label; else ``BadTarget``."""
    if "%" in raw:  # a zone id names an interface of this machine
        raise BadTarget(f"url {url!r}: zone ids (%) are not allowed in the host", True)
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        pass
    if ":" in raw:
        raise BadTarget(f"url {url!r}: {raw!r} is not a valid IPv6 address", True)
    try:
        ascii_host = raw.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadTarget(f"url {url!r}: the host {raw!r} is not a valid host name", True) from None
    return host_name(ascii_host, url)


def host_name(ascii_host: str, url: str) -> str:
    """``ascii_host`` (an IDNA-encoded name) in lower case without a final dot, if every
    label is a valid hostname label; else ``BadTarget``."""
    raw = ascii_host
    name = ascii_host.lower().removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise BadTarget(
            f"url {url!r}: the host {raw!r} is not a valid host name (labels of letters, "
            "digits and inner hyphens, at most 63 characters each, 253 in all)",
            True,
        )
    return name


def check_url(url: str) -> tuple[str, int]:
    """``(host, port)`` of a well-formed http(s) URL, the host as it is resolved; or
    ``BadTarget`` (never another exception, whatever the input)."""
    try:
        parts = urlsplit(url)
        raw_host = parts.hostname
    except ValueError:
        raise BadTarget(f"url {url!r} is not a valid URL", True) from None
    if parts.scheme not in ("http", "https") or not raw_host:
        raise BadTarget(f"url {url!r} must be an http:// or https:// URL with a host", True)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadTarget(f"url {url!r} has an invalid port", True) from None
    return _host(raw_host, url), port


def literal_reach(url: str) -> Reach | None:
    """The reach of a URL whose host is an IP literal; ``None`` for a name."""
    host, _ = check_url(url)
    try:
        return reach(host)
    except ValueError:
        return None
