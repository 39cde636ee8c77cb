"""Join links: ``{public URL}/join#token=<token>``.

The token sits in the URL fragment, which browsers never send, so no server or
proxy log ever holds it."""

from __future__ import annotations

from urllib.parse import quote


def join_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/join#token={quote(token, safe='')}"
