"""Sending to a webhook's target: its URL checked and resolved once, every address
allowed under the setting, the request pinned to a checked address (its name kept
for ``Host`` and TLS), no redirect followed."""

from __future__ import annotations

import asyncio
import socket

import httpx

from scheduler.webhooks import (
    TIMEOUT_S,
    BadTarget,
    Reach,
    check_url,
    host_name,
    literal_reach,
    reach,
    refused,
)


async def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host``, in the resolver's order, each once."""
    infos = await asyncio.to_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def parsed(url: str) -> tuple[str, int]:
    """``(host, port)`` of a URL both our rules and httpx accept, else ``BadTarget``.
    A name is resolved as httpx encodes it (IDNA 2008, as in the ``Host`` header sent),
    not as Python's codec does (IDNA 2003 maps ``ß`` to ``ss``)."""
    host, port = check_url(url)
    try:
        raw_host = httpx.URL(url).raw_host.decode("ascii")
    except (httpx.InvalidURL, ValueError):
        raise BadTarget(f"url {url!r} is not a valid URL", True) from None
    if literal_reach(url) is None:
        host = host_name(raw_host, url)
    return host, port


def _refusal(url: str, bad: list[str], final: bool) -> BadTarget:
    never = [a for a in bad if reach(a) is Reach.NEVER]
    if never:
        return BadTarget(
            f"url {url!r} resolves to {', '.join(never)}, a multicast, broadcast or "
            "unspecified address; webhooks go to one receiver's address",
            final,
        )
    return BadTarget(
        f"url {url!r} resolves to {', '.join(bad)}, a private or local address; "
        "webhooks go to public addresses (set CONVENE_WEBHOOK_ALLOW_PRIVATE=1 for a "
        "closed network)",
        final,
    )


async def checked_addresses(url: str, allow_private: bool) -> list[str]:
    """The addresses ``url`` may be sent to: its host resolved once, every address
    allowed under the setting; otherwise ``BadTarget``."""
    host, port = parsed(url)
    literal = literal_reach(url) is not None
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError):
        raise BadTarget(f"url {url!r}: the host {host!r} does not resolve") from None
    if not addresses:
        raise BadTarget(f"url {url!r}: the host {host!r} does not resolve")
    bad = refused(addresses, allow_private)
    if bad:
        raise _refusal(url, bad, final=literal)
    return addresses


async def check_target(url: str, allow_private: bool) -> None:
    """Raise ``BadTarget`` for a URL that is malformed or reaches refused addresses (at
    registration; :func:`send` checks again, and pins, at send time). With private
    targets allowed a name is not resolved here (a closed network's names may resolve
    only later); an IP literal is still checked."""
    if not allow_private:
        await checked_addresses(url, allow_private)
        return
    host, _ = parsed(url)
    if literal_reach(url) is Reach.NEVER:
        raise _refusal(url, [host], final=True)


def new_client() -> httpx.AsyncClient:
    """The worker's client: no redirects, no proxies from the environment (a proxy
    would resolve the name again), no kept-alive connections (each attempt connects
    to the address it has just checked, and a TLS connection verified for one name
    is never reused for another name on the same address)."""
    return httpx.AsyncClient(
        timeout=TIMEOUT_S,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def pinned_request(
    client: httpx.AsyncClient, url: str, address: str, body: bytes, headers: dict[str, str]
) -> httpx.Request:
    """A POST of ``body`` to ``address`` (an IP) that otherwise is the request to
    ``url``: its ``Host`` header and its TLS server name (SNI, and the name the
    certificate is checked against) are the URL's host."""
    original = httpx.URL(url)
    host = original.raw_host.decode("ascii")
    return client.build_request(
        "POST",
        original.copy_with(host=address.split("%", 1)[0]),
        content=body,
        headers={**headers, "Host": original.netloc.decode("ascii")},
        extensions={"sni_hostname": host},
    )


async def send(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    timeout_s: float = TIMEOUT_S,
) -> int:
    """One attempt: resolve the host once, check every address, connect to a checked
    one (the next on a refused connection), POST, read the status line. The whole
    attempt, resolution included, is cut off after ``timeout_s`` (``TimeoutError``).
    No redirect is followed; the status code is returned, the body is not read."""
    async with asyncio.timeout(timeout_s):
        addresses = await checked_addresses(url, allow_private)
        last: httpx.ConnectError | None = None
        for address in addresses:
            request = pinned_request(client, url, address, body, headers)
            try:
                response = await client.send(request, stream=True, follow_redirects=False)
            except httpx.ConnectError as exc:
                last = exc
                continue
            await response.aclose()
            return response.status_code
        assert last is not None
        raise last
