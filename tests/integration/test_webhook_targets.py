"""Webhook targets and secrets over the API: hostile hosts, IPv4 loopback inside IPv6
and multicast are refused with 422 (never 500), at registration and at send time, and
counted in /metrics; a rejected secret is never echoed."""

from __future__ import annotations

import sqlite3

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.client import Api, eventually, make_world
from tests.support.receiver import Receiver
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "s3cret-for-tests"
MALFORMED = [
    "http://a..b/",
    "http://[::1",
    "http://℀.com/",
    "http://" + "a" * 64 + ".example/",
    "http://[fe80::1%25eth0]/",
]
NEVER = ["http://224.0.0.1/", "http://[ff02::1]/", "http://0.0.0.0:9/", "http://[::]/"]
EMBEDDED_LOOPBACK = [
    "http://[::127.0.0.1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[2002:7f00:1::1]/",
]


async def _refused(srv, urls: list[str]) -> None:
    w = await make_world(srv, status=None)
    eid = w.event["id"]
    async with Api(srv.url, w.token("mod")) as mod:
        for url in urls:
            r = await mod.call(
                "POST", f"/api/events/{eid}/webhooks", {"url": url, "secret": SECRET}
            )
            assert r.status_code == 422, (url, r.text)
            assert r.json()["field"] == "url", r.text
        assert await mod.ok("GET", f"/api/events/{eid}/webhooks") == []


async def test_hostile_hosts_are_422_also_with_private_targets_allowed(server):
    """Without the setting, test_webhooks.py's private-address test refuses these and
    EMBEDDED_LOOPBACK on its own server."""
    await _refused(server, MALFORMED + NEVER)


def _samples(text: str) -> dict:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


async def test_a_stored_target_that_cannot_be_called_fails_and_is_counted(tmp_path):
    """Rows stored before these checks existed: the attempt is refused and recorded
    (not retried every 30 s unrecorded), the delivery fails at once and the webhook
    becomes failing. /metrics (a server of its own, so the counts are this test's)
    counts attempts and deliveries by outcome, beside a receiver failing twice."""
    db = tmp_path / "c.db"
    rx = await Receiver(fail=2).start()
    with ServerProcess(tmp_path, {"CONVENE_DATABASE_URL": f"sqlite:///{db}"}) as srv:
        w = await make_world(srv, status=None)
        eid = w.event["id"]
        async with Api(srv.url, w.token("mod")) as mod:
            hooks = []
            for url in ["http://a..b/", "http://224.0.0.1/", rx.url]:
                body = {"url": rx.url, "secret": SECRET, "events": ["session.status"]}
                hook = await mod.ok("POST", f"/api/events/{eid}/webhooks", body, 201)
                with sqlite3.connect(db) as c:
                    c.execute("UPDATE webhooks SET url = ? WHERE id = ?", (url, hook["id"]))
                hooks.append(hook)
            for hook in hooks:
                await mod.ok("POST", f"/api/events/{eid}/webhooks/{hook['id']}/ping", status=202)
            for hook, end in zip(hooks, ["failed", "failed", "delivered"], strict=True):
                ds = await eventually(
                    lambda h=hook: mod.ok(
                        "GET", f"/api/events/{eid}/webhooks/{h['id']}/deliveries"
                    ),
                    lambda ds, end=end: ds[0]["state"] == end,
                )
                assert ds[0]["state"] == end, ds
                if end == "failed":
                    assert len(ds[0]["attempts"]) == 1, ds  # never retried
                    assert ds[0]["attempts"][0]["error"].startswith("refused:"), ds
                    assert ds[0]["attempts"][0]["status_code"] is None
            listed = await mod.ok("GET", f"/api/events/{eid}/webhooks")
            assert [h["failing"] for h in listed] == [True, True, False]
            delivered = ("convene_webhook_deliveries_total", (("outcome", "delivered"),))
            got = await eventually(  # counted just after the row is written
                lambda: mod.call("GET", "/metrics"), lambda r: _samples(r.text).get(delivered)
            )
    await rx.close()
    values = _samples(got.text)
    attempts = "convene_webhook_attempts_total"
    assert values[delivered] == 1
    assert values[("convene_webhook_deliveries_total", (("outcome", "failed"),))] == 2
    assert values[(attempts, (("outcome", "refused"),))] == 2
    assert values[(attempts, (("outcome", "http_error"),))] == 2
    assert values[(attempts, (("outcome", "delivered"),))] == 1
    assert values[(attempts, (("outcome", "timeout"),))] == 0
    assert values[("convene_webhook_attempt_duration_seconds_count", ())] == 5
    families = {f.name: f for f in text_string_to_metric_families(got.text)}
    assert families["convene_webhook_attempt_duration_seconds"].type == "histogram"
    assert all(f.documentation for f in families.values())


@pytest.mark.parametrize(
    "secret",
    [
        "Zq9x-s",  # too short
        "Zq9x-l" * 40,  # too long
        "whsec_Zq9x+bad+base64!",  # not base64
        "whsec_WnE5eC1zaG9ydA==",  # decodes to 10 bytes: too few
    ],
)
async def test_a_rejected_secret_is_never_echoed(server, secret):
    w = await make_world(server, status=None)
    eid = w.event["id"]
    async with Api(server.url, w.token("mod")) as mod:
        r = await mod.call(
            "POST", f"/api/events/{eid}/webhooks", {"url": "http://127.0.0.1:9/", "secret": secret}
        )
        assert r.status_code == 422 and "secret" in r.text, r.text
        assert "Zq9x" not in r.text and "WnE5" not in r.text, r.text
        hook = await mod.ok(
            "POST",
            f"/api/events/{eid}/webhooks",
            {"url": "http://127.0.0.1:9/", "secret": SECRET},
            201,
        )
        r = await mod.call(
            "POST", f"/api/events/{eid}/webhooks/{hook['id']}/rotate-secret", {"secret": secret}
        )
        assert r.status_code == 422 and "secret" in r.text, r.text
        assert "Zq9x" not in r.text and "WnE5" not in r.text, r.text
