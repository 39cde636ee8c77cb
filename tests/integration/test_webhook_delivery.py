"""Webhook delivery under a dead receiver, and the Standard Webhooks headers on real
deliveries (retries included), checked with the ``standardwebhooks`` library and by
hand."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import orjson
import pytest
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from tests.support.client import Api, make_world
from tests.support.receiver import Receiver, register_webhook

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "s3cret-for-tests"


class Silent(Receiver):
    """Reads each request, records it, and never answers (until closed)."""

    def __init__(self):
        super().__init__()
        self.writers: list[asyncio.StreamWriter] = []

    async def _handle(self, reader, writer):
        self.writers.append(writer)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(ln.split(":", 1)[1])
            for ln in head.decode().split("\r\n")
            if ln.lower().startswith("content-length")
        )
        body = await reader.readexactly(length)
        async with self.arrived:
            self.requests.append(({}, body))
            self.arrived.notify_all()
        await reader.read()  # until the sender gives up

    async def close(self):
        for w in self.writers:
            w.close()
        await super().close()


async def test_a_silent_receiver_delays_no_other_receiver(any_server):
    server = any_server
    silent = await Silent().start()
    healthy = [await Receiver().start() for _ in range(4)]
    w = await make_world(server)
    eid, sid = w.event["id"], w.session["id"]
    loop = asyncio.get_running_loop()
    async with Api(server.url, w.token("mod")) as mod:
        hooks = [
            await register_webhook(mod, eid, rx.url, SECRET, ["broadcast.message"])
            for rx in (silent, *healthy)
        ]
        try:
            for n in range(3):
                t0 = loop.time()
                await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": f"m{n}"}, 201)
                for rx in healthy:
                    await rx.wait_for(
                        lambda h, b, n=n: orjson.loads(b)["data"]["text"] == f"m{n}", timeout=10
                    )
                    assert loop.time() - t0 < 2, f"message {n} took {loop.time() - t0:.1f} s"
                # the silent one holds its attempt open from the first message on
                await silent.wait_for(lambda h, b: True, timeout=10)
        finally:
            for hook in hooks:
                await mod.ok("DELETE", f"/api/events/{eid}/webhooks/{hook['id']}", status=204)
    for rx in (silent, *healthy):
        await rx.close()


def _hmac_ok(key: bytes, headers: dict, body: bytes) -> bool:
    """The Standard Webhooks check by hand: any ``v1,`` signature of the header."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    want = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig, "v1," + want) for sig in headers["webhook-signature"].split(" ")
    )


WHSEC = "whsec_" + base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    "secret,receiver_key",
    [(WHSEC, WHSEC), (SECRET, SECRET.encode())],
    ids=["whsec", "raw"],
)
async def test_every_attempt_carries_standard_webhooks_headers(any_server, secret, receiver_key):
    server = any_server
    rx = await Receiver(fail=2).start()
    w = await make_world(server, status=None)
    eid = w.event["id"]
    async with Api(server.url, w.token("mod")) as mod:
        hook = await register_webhook(mod, eid, rx.url, secret)
        await mod.ok("POST", f"/api/events/{eid}/webhooks/{hook['id']}/ping", status=202)
        await rx.wait_for(lambda h, b: len(rx.requests) >= 3)
        await mod.ok("DELETE", f"/api/events/{eid}/webhooks/{hook['id']}", status=204)
    key = base64.b64decode(WHSEC[6:]) if secret == WHSEC else secret.encode()
    receiver = StandardWebhook(receiver_key)
    for headers, body in rx.requests:  # two failed attempts, then the delivered one
        assert headers["webhook-id"] == orjson.loads(body)["id"]
        assert receiver.verify(body, headers)["type"] == "webhook.ping"
        assert _hmac_ok(key, headers, body)
        assert not _hmac_ok(b"another key of 24 bytes!", headers, body)
        want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-convene-signature"] == want  # v1, keyed by the string as given
    assert len({h["webhook-id"] for h, _ in rx.requests}) == 1
    await rx.close()


async def test_a_rotation_can_keep_the_previous_secret_signing_for_a_while(any_server):
    server = any_server
    old, new, newer = "old-s3cret-for-tests", WHSEC, "newer-s3cret-for-tests"
    rx = await Receiver().start()
    w = await make_world(server, status=None)
    eid = w.event["id"]
    async with Api(server.url, w.token("mod")) as mod:
        hook = await register_webhook(mod, eid, rx.url, old)
        base = f"/api/events/{eid}/webhooks/{hook['id']}"
        for bad in (-1, 86401, "soon"):
            r = await mod.call(
                "POST", f"{base}/rotate-secret", {"secret": new, "keep_previous_s": bad}
            )
            assert r.status_code == 422, r.text
        await mod.ok("POST", f"{base}/rotate-secret", {"secret": new, "keep_previous_s": 3600})
        await mod.ok("POST", f"{base}/ping", status=202)
        await rx.wait_for(lambda h, b: len(rx.requests) >= 1)
        await mod.ok("POST", f"{base}/rotate-secret", {"secret": newer})
        await mod.ok("POST", f"{base}/ping", status=202)
        await rx.wait_for(lambda h, b: len(rx.requests) >= 2)
        await mod.ok("DELETE", base, status=204)
    (h1, b1), (h2, b2) = rx.requests
    assert len(h1["webhook-signature"].split(" ")) == 2
    assert StandardWebhook(new).verify(b1, h1) and StandardWebhook(old.encode()).verify(b1, h1)
    assert len(h2["webhook-signature"].split(" ")) == 1
    assert StandardWebhook(newer.encode()).verify(b2, h2)
    for gone in (StandardWebhook(new), StandardWebhook(old.encode())):
        with pytest.raises(WebhookVerificationError):
            gone.verify(b2, h2)
    await rx.close()
