"""Webhook rules and one send attempt against local sockets: signatures, back-off, which
addresses may be called, the address pinned at send time (no second resolution, the
original Host and TLS name), no redirects, one time limit for the whole attempt."""

from __future__ import annotations

import asyncio
import random
import shutil
import ssl
import subprocess

import httpx
import pytest

from scheduler import webhooks as rules
from server.services import webhook_sending as sending
from server.services import webhooks as svc

BODY = b'{"id":"d1","type":"webhook.ping"}'
HEADERS = {"Content-Type": "application/json", "X-Convene-Signature": "sha256=00"}


class Peer:
    """A local TCP server that records request heads and answers ``status``."""

    def __init__(self, status: int = 200, extra: str = "", drip: bool = False):
        self.status, self.extra, self.drip = status, extra, drip
        self.heads: list[str] = []
        self.arrived = asyncio.Event()

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> Peer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=ssl_context)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader, writer):
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        length = next(
            (
                int(ln.split(":", 1)[1])
                for ln in head.split("\r\n")
                if ln.lower().startswith("content-length")
            ),
            0,
        )
        await reader.readexactly(length)
        self.heads.append(head)
        self.arrived.set()
        reply = f"HTTP/1.1 {self.status} X\r\n{self.extra}Content-Length: 0\r\n\r\n".encode()
        try:
            if self.drip:  # a receiver that never stalls long, but never finishes either
                for i in range(len(reply)):
                    writer.write(reply[i : i + 1])
                    await writer.drain()
                    await asyncio.sleep(0.1)
            else:
                writer.write(reply)
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    def header(self, name: str, n: int = 0) -> str | None:
        for ln in self.heads[n].split("\r\n")[1:]:
            k, _, v = ln.partition(":")
            if k.strip().lower() == name.lower():
                return v.strip()
        return None

    async def close(self):
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
def dns(monkeypatch):
    """A resolver the test controls: ``answers`` are returned in turn (the last one
    repeats); every lookup is counted."""
    calls: list[str] = []
    answers: list[list[str]] = []

    async def resolve(host, port):
        calls.append(host)
        return answers[min(len(calls), len(answers)) - 1]

    monkeypatch.setattr(sending, "resolve", resolve)
    return calls, answers


# ---- pure rules ------------------------------------------------------------------


def test_signature_is_hmac_of_the_raw_body_and_verifies_only_with_its_secret():
    header = rules.sign("k1-secret", BODY)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert rules.verify("k1-secret", BODY, header)
    assert not rules.verify("k2-secret", BODY, header)
    assert not rules.verify("k1-secret", BODY + b" ", header)
    assert not rules.verify("k1-secret", BODY, "sha256=é")  # non-ASCII: False, no error


def test_backoff_grows_with_jitter_and_the_first_retry_is_within_30_s():
    rng = random.Random(7)
    waits = [rules.backoff_s(n, 5.0, rng) for n in range(1, 8)]
    assert 5.0 <= waits[0] <= 6.25 < 30
    assert all(b > a for a, b in zip(waits, waits[1:], strict=False))
    assert rules.backoff_s(40, 5.0, rng) <= 3600 * 1.25


def test_status_2xx_delivers_everything_else_fails_and_redirects_say_so():
    assert rules.describe_status(200) is None and rules.describe_status(204) is None
    assert rules.describe_status(500) == "HTTP 500"
    assert "redirects are not followed" in rules.describe_status(302)


# ---- one attempt -------------------------------------------------------------------


async def test_connects_to_the_checked_address_with_the_original_host(dns):
    calls, answers = dns
    answers.append(["127.0.0.1"])
    peer = await Peer().start()
    async with sending.new_client() as client:
        # ".invalid" never resolves: a second lookup by httpx would fail the request
        url = f"http://hook.invalid:{peer.port}/in?x=1"
        status = await sending.send(client, url, BODY, HEADERS, allow_private=True)
    await peer.close()
    assert status == 200 and calls == ["hook.invalid"]
    assert peer.heads[0].startswith("POST /in?x=1 HTTP/1.1")
    assert peer.header("host") == f"hook.invalid:{peer.port}"


async def test_the_next_checked_address_is_tried_when_one_refuses(dns):
    _, answers = dns
    peer = await Peer().start()
    answers.append(["127.0.0.2", "127.0.0.1"])
    async with sending.new_client() as client:
        url = f"http://hook.invalid:{peer.port}/"
        # 127.0.0.2 has no listener on that port; 127.0.0.1 does
        assert await sending.send(client, url, BODY, HEADERS, allow_private=True) == 200
    await peer.close()


@pytest.mark.parametrize(
    "later", [["127.0.0.1"], ["93.184.215.14", "100.64.0.7"], ["::1"], ["64:ff9b::7f00:1"]]
)
async def test_a_name_that_turns_non_global_is_refused_at_send_time(dns, later):
    calls, answers = dns
    answers.extend([["93.184.215.14"], later])
    peer = await Peer().start()
    url = f"http://hook.example:{peer.port}/"
    await sending.check_target(url, allow_private=False)  # registration: public, accepted
    async with sending.new_client() as client:
        with pytest.raises(rules.BadTarget, match="private or local"):
            await sending.send(client, url, BODY, HEADERS, allow_private=False)
    await peer.close()
    assert len(calls) == 2 and peer.heads == []


async def test_a_redirect_is_returned_not_followed(dns):
    _, answers = dns
    answers.append(["127.0.0.1"])
    elsewhere = await Peer().start()
    peer = await Peer(307, f"Location: http://127.0.0.1:{elsewhere.port}/x\r\n").start()
    async with sending.new_client() as client:
        url = f"http://hook.invalid:{peer.port}/"
        assert await sending.send(client, url, BODY, HEADERS, allow_private=True) == 307
    await peer.close()
    await elsewhere.close()
    assert len(peer.heads) == 1 and elsewhere.heads == []


async def test_slow_resolution_counts_against_the_one_time_limit(monkeypatch):
    async def slow(host, port):
        await asyncio.sleep(30)
        return ["127.0.0.1"]

    monkeypatch.setattr(sending, "resolve", slow)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    async with sending.new_client() as client:
        with pytest.raises(TimeoutError):
            await sending.send(client, "http://x.invalid/", BODY, HEADERS, True, timeout_s=0.3)
    assert loop.time() - t0 < 2


async def test_a_dripping_answer_is_cut_off_by_the_one_time_limit(dns):
    """No read waits longer than 0.1 s, so per-read timeouts would never fire; the
    limit on the whole attempt does."""
    _, answers = dns
    answers.append(["127.0.0.1"])
    peer = await Peer(drip=True).start()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    async with sending.new_client() as client:
        with pytest.raises(TimeoutError):
            url = f"http://hook.invalid:{peer.port}/"
            await sending.send(client, url, BODY, HEADERS, True, timeout_s=0.8)
    assert 0.7 < loop.time() - t0 < 3
    await peer.close()


def test_the_pinned_request_keeps_host_and_tls_name():
    client = httpx.AsyncClient()
    r = sending.pinned_request(client, "https://hooks.example.org/in", "93.184.215.14", BODY, {})
    assert str(r.url) == "https://93.184.215.14/in"
    assert r.headers["host"] == "hooks.example.org"
    assert r.extensions["sni_hostname"] == "hooks.example.org"
    r = sending.pinned_request(client, "https://Bücher.example:8443/", "2001:db8::1", BODY, {})
    assert str(r.url) == "https://[2001:db8::1]:8443/"
    assert r.headers["host"] == "xn--bcher-kva.example:8443"
    assert r.extensions["sni_hostname"] == "xn--bcher-kva.example"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
async def test_tls_to_the_pinned_address_checks_the_certificate_of_the_name(dns, tmp_path):
    _, answers = dns
    answers.append(["127.0.0.1"])
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=hook.test"]
        + ["-addext", "subjectAltName=DNS:hook.test"],
        check=True,
        capture_output=True,
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_ctx.sni_callback = lambda sock, name, ctx: names.append(name)
    peer = await Peer().start(server_ctx)
    trust = ssl.create_default_context(cafile=str(cert))
    async with httpx.AsyncClient(
        verify=trust, trust_env=False, limits=httpx.Limits(max_keepalive_connections=0)
    ) as client:
        url = f"https://hook.test:{peer.port}/"
        assert await sending.send(client, url, BODY, HEADERS, allow_private=True) == 200
        assert names == ["hook.test"] and peer.header("host") == f"hook.test:{peer.port}"
        # the same address under a name the certificate does not carry is refused
        answers.append(["127.0.0.1"])
        with pytest.raises(httpx.ConnectError, match="certificate|hostname"):
            await sending.send(client, f"https://other.test:{peer.port}/", BODY, HEADERS, True)
    await peer.close()


# ---- Standard Webhooks ------------------------------------------------------------


def test_standard_signature_matches_the_standardwebhooks_library():
    import base64
    import datetime as dt

    from standardwebhooks import Webhook as StandardWebhook

    whsec = "whsec_" + base64.b64encode(b"k" * 32).decode()
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for secret in (whsec, "plain-secret"):
        key = rules.standard_key(secret)
        lib = StandardWebhook(secret if secret.startswith("whsec_") else secret.encode())
        ours = rules.standard_signatures([key], "d1", int(at.timestamp()), BODY)
        assert ours == lib.sign("d1", at, BODY.decode())
    assert rules.standard_key(whsec) == b"k" * 32
    for bad in ("whsec_not base64!", "whsec_" + base64.b64encode(b"k" * 23).decode()):
        with pytest.raises(ValueError) as e:
            rules.standard_key(bad)
        assert bad[6:] not in str(e.value)


def test_the_previous_secret_signs_only_until_its_time():
    import datetime as dt

    from server.models import Webhook

    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    w = Webhook(event_id="e", url="http://x/", secret="new-secret", previous_secret="old-secret")
    w.previous_secret_until = now + dt.timedelta(seconds=1)
    both = svc.signed_headers(w, "d1", BODY, now)["webhook-signature"].split(" ")
    w.previous_secret_until = now
    (only,) = svc.signed_headers(w, "d1", BODY, now)["webhook-signature"].split(" ")
    assert len(both) == 2 and both[0] == only
    assert both[1] == rules.standard_signatures([b"old-secret"], "d1", 1767225600, BODY)


async def test_a_name_is_resolved_as_httpx_encodes_it(dns):
    """IDNA 2008 (httpx, the Host header) keeps ß; Python's IDNA 2003 codec maps it to
    ss, another name: the address checked must be the one of the name sent."""
    calls, answers = dns
    answers.append(["93.184.215.14"])
    await sending.check_target("http://straße.example/", allow_private=False)
    assert calls == ["xn--strae-oqa.example"]
