"""Webhooks that fail, redirect, change address, rotate secrets or are deleted:
what moderators are told and what is (not) delivered again."""

from __future__ import annotations

import asyncio
import datetime as dt

import orjson
import pytest

from scheduler.webhooks import verify
from tests.support.client import Api, eventually, make_world, ws_connect
from tests.support.receiver import Receiver, register_webhook
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "s3cret-for-tests"


async def test_failing_every_retry_marks_the_webhook_failing_and_tells_moderators(server):
    rx = await Receiver(fail=10_000).start()
    w = await make_world(server)
    eid, sid = w.event["id"], w.session["id"]
    mod_ws = await ws_connect(server, sid, w.token("mod"))
    await mod_ws.next()
    async with Api(server.url, w.token("mod")) as mod:
        hook = await register_webhook(mod, eid, rx.url, SECRET, events=["broadcast.message"])
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "hello"}, 201)
        told = await mod_ws.until(lambda f: f["type"] == "webhook.failing", timeout=20)
        assert told["data"]["webhook_id"] == hook["id"]
        assert told["data"]["event_type"] == "broadcast.message"
        assert told["data"]["attempts"] == 4  # CONVENE_WEBHOOK_MAX_ATTEMPTS in the tests
        assert len(rx.requests) == 4
        listed = await mod.ok("GET", f"/api/events/{eid}/webhooks")
        assert [h["failing"] for h in listed if h["id"] == hook["id"]] == [True]
        d = (await mod.ok("GET", f"/api/events/{eid}/webhooks/{hook['id']}/deliveries"))[0]
        assert d["state"] == "failed" and d["next_attempt_at"] is None
        assert [a["status_code"] for a in d["attempts"]] == [500] * 4

        # the receiver is back: a redelivery sends the same bytes and clears "failing"
        rx.fail = 0
        await mod.ok(
            "POST",
            f"/api/events/{eid}/webhooks/{hook['id']}/deliveries/{d['id']}/redeliver",
            None,
            202,
        )
        await rx.wait_for(lambda h, b: len(rx.requests) >= 5, timeout=10)
        assert len({b for _, b in rx.requests}) == 1
        listed = await eventually(  # the row is written just after the reply
            lambda: mod.ok("GET", f"/api/events/{eid}/webhooks"),
            lambda hs: not [h for h in hs if h["id"] == hook["id"] and h["failing"]],
        )
        assert [h["failing"] for h in listed if h["id"] == hook["id"]] == [False]
    await mod_ws.close()
    await rx.close()


class Scripted(Receiver):
    """A receiver answering ``status`` (with ``extra`` header lines); with a ``gate``,
    it holds each answer until the gate is opened (the request is recorded first)."""

    def __init__(self, status: int = 200, extra: str = "", gate: asyncio.Event | None = None):
        super().__init__()
        self.status, self.extra, self.gate = status, extra, gate

    async def answer(self, n: int) -> tuple[int, str]:
        if self.gate is not None:
            await self.gate.wait()
        return self.status, self.extra


def _types(rx: Receiver) -> list[str]:
    return [orjson.loads(b)["type"] for _, b in rx.requests]


async def _deliveries(api: Api, eid: str, hook_id: str, pred, timeout: float = 15):
    return await eventually(  # rows are written just after the receiver answers
        lambda: api.ok("GET", f"/api/events/{eid}/webhooks/{hook_id}/deliveries"),
        pred,
        timeout,
    )


async def test_a_failing_webhook_gets_no_notice_and_every_open_session_is_told(server):
    """A failed ping, no session running: moderators of each session that has not
    ended are told; the other webhooks get the notice once; the failing webhook (which
    takes every type) gets none, so its failure cannot feed itself."""
    bad = await Receiver(fail=10_000).start()
    ok = await Receiver().start()
    w = await make_world(server, status=None)
    eid = w.event["id"]
    async with Api(server.url, server.admin_token) as admin:
        start = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        later = await admin.ok(
            "POST",
            f"/api/events/{eid}/sessions",
            {
                "title": "Next dialogue",
                "start": start.isoformat(),
                "end": (start + dt.timedelta(hours=2)).isoformat(),
                "reminders_s": [],
            },
            201,
        )
    sockets = [await ws_connect(server, s, w.token("mod")) for s in (w.session["id"], later["id"])]
    for ws in sockets:
        await ws.next()
    async with Api(server.url, w.token("mod")) as mod:
        failing = await register_webhook(mod, eid, bad.url, SECRET)  # no filter: every type
        watcher = await register_webhook(mod, eid, ok.url, SECRET, events=["webhook.failing"])
        await mod.ok("POST", f"/api/events/{eid}/webhooks/{failing['id']}/ping", status=202)
        for ws in sockets:
            told = await ws.until(lambda f: f["type"] == "webhook.failing", timeout=20)
            assert told["data"]["webhook_id"] == failing["id"]
            assert told["data"]["event_type"] == "webhook.ping"
            assert told["data"]["attempts"] == 4
        # both notices are stored, and their outbox rows with them
        got = await ok.wait_for(lambda h, b: orjson.loads(b)["type"] == "webhook.failing")
        assert orjson.loads(got[0][1])["data"]["webhook_id"] == failing["id"]
        path = f"/api/events/{eid}/webhooks/{watcher['id']}/deliveries"
        assert [d["event_type"] for d in await mod.ok("GET", path)] == ["webhook.failing"]
        mine = await mod.ok("GET", f"/api/events/{eid}/webhooks/{failing['id']}/deliveries")
        notices = [
            (d["event_type"], d["state"]) for d in mine if d["event_type"].startswith("webhook.")
        ]
        assert notices == [("webhook.ping", "failed")]  # other events go on; no notice
        assert "webhook.failing" not in _types(bad)
        assert _types(bad).count("webhook.ping") == 4
    for ws in sockets:
        await ws.close()
    await bad.close()
    await ok.close()


async def test_a_redirect_is_a_failure_and_is_not_followed(server):
    elsewhere = await Receiver().start()
    rx = await Scripted(302, f"Location: {elsewhere.url}\r\n").start()
    w = await make_world(server, status=None)
    eid = w.event["id"]
    async with Api(server.url, w.token("mod")) as mod:
        hook = await register_webhook(mod, eid, rx.url, SECRET)
        await mod.ok("POST", f"/api/events/{eid}/webhooks/{hook['id']}/ping", status=202)
        ds = await _deliveries(mod, eid, hook["id"], lambda ds: ds[0]["state"] == "failed")
    attempts = ds[0]["attempts"]
    assert [a["status_code"] for a in attempts] == [302] * 4
    assert all("redirects are not followed" in a["error"] for a in attempts)
    assert len(rx.requests) == 4 and elsewhere.requests == []
    await rx.close()
    await elsewhere.close()


async def test_an_address_is_checked_again_at_send_time(tmp_path):
    """Registered while private targets were allowed; once they are not, every attempt
    is refused before connecting (``localhost`` resolves to loopback addresses)."""
    rx = await Receiver().start()
    url = rx.url.replace("127.0.0.1", "localhost")
    db = {"CONVENE_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    with ServerProcess(tmp_path, db) as open_srv:
        w = await make_world(open_srv, status=None)
        eid = w.event["id"]
        async with Api(open_srv.url, w.token("mod")) as mod:
            hook = await register_webhook(mod, eid, url, SECRET)
            await mod.ok("POST", f"/api/events/{eid}/webhooks/{hook['id']}/ping", status=202)
            got = await rx.wait_for(lambda h, b: True)
            assert got[0][0]["host"] == url.split("/")[2]  # the name, not the address
    closed = {**db, "CONVENE_WEBHOOK_ALLOW_PRIVATE": "0"}
    with ServerProcess(tmp_path, closed, admin_token=open_srv.admin_token) as srv:
        async with Api(srv.url, w.token("mod")) as mod:
            r = await mod.ok("POST", f"/api/events/{eid}/webhooks/{hook['id']}/ping", status=202)
            ds = await _deliveries(
                mod,
                eid,
                hook["id"],
                lambda ds: [d["state"] for d in ds if d["id"] == r["delivery_id"]] == ["failed"],
            )
    d = next(d for d in ds if d["id"] == r["delivery_id"])
    assert len(d["attempts"]) == 4
    assert all(a["error"].startswith("refused:") for a in d["attempts"])
    assert all("private or local" in a["error"] for a in d["attempts"])
    assert all(a["status_code"] is None for a in d["attempts"])
    assert len(rx.requests) == 1  # only the ping sent while it was allowed
    await rx.close()


async def test_redeliver_is_refused_while_an_attempt_is_in_flight(server):
    gate = asyncio.Event()
    rx = await Scripted(gate=gate).start()
    w = await make_world(server, status=None)
    eid = w.event["id"]
    async with Api(server.url, w.token("mod")) as mod:
        hook = await register_webhook(mod, eid, rx.url, SECRET)
        base = f"/api/events/{eid}/webhooks/{hook['id']}"
        sent = await mod.ok("POST", f"{base}/ping", status=202)
        await rx.wait_for(lambda h, b: True)  # the attempt is held open by the receiver
        again = f"{base}/deliveries/{sent['delivery_id']}/redeliver"
        r = await mod.call("POST", again)
        assert r.status_code == 409 and "being sent" in r.json()["detail"], r.text
        gate.set()
        await _deliveries(mod, eid, hook["id"], lambda ds: ds[0]["state"] == "delivered")
        assert len(rx.requests) == 1  # the refused redelivery sent nothing
        await mod.ok("POST", again, status=202)
        await rx.wait_for(lambda h, b: len(rx.requests) >= 2)
        ds = await _deliveries(
            mod, eid, hook["id"], lambda ds: len(ds[0]["attempts"]) == 2 and ds[0]["delivered_at"]
        )
    assert {h["x-convene-delivery"] for h, _ in rx.requests} == {sent["delivery_id"]}
    assert len({b for _, b in rx.requests}) == 1
    assert [a["status_code"] for a in ds[0]["attempts"]] == [200, 200]
    await rx.close()


async def test_a_rotated_secret_signs_every_later_attempt(server):
    old, new = SECRET, "rotated-s3cret-2"
    rx = await Receiver().start()
    w = await make_world(server, status=None)
    eid = w.event["id"]
    async with Api(server.url, w.token("mod")) as mod:
        hook = await register_webhook(mod, eid, rx.url, SECRET)
        base = f"/api/events/{eid}/webhooks/{hook['id']}"
        first = await mod.ok("POST", f"{base}/ping", status=202)
        await rx.wait_for(lambda h, b: len(rx.requests) >= 1)
        rotated = await mod.ok("POST", f"{base}/rotate-secret", {"secret": new})
        assert rotated["id"] == hook["id"] and "secret" not in rotated
        await mod.ok("POST", f"{base}/ping", status=202)
        await rx.wait_for(lambda h, b: len(rx.requests) >= 2)
        await _deliveries(mod, eid, hook["id"], lambda ds: ds[-1]["state"] == "delivered")
        # a delivery queued before the rotation, sent again: same bytes, new signature
        await mod.ok("POST", f"{base}/deliveries/{first['delivery_id']}/redeliver", None, 202)
        await rx.wait_for(lambda h, b: len(rx.requests) >= 3)
        r = await mod.call("POST", f"{base}/rotate-secret", {"secret": "short"})
        assert r.status_code == 422
    (h1, b1), (h2, b2), (h3, b3) = rx.requests
    assert verify(old, b1, h1["x-convene-signature"])
    assert not verify(new, b1, h1["x-convene-signature"])
    for h, b in ((h2, b2), (h3, b3)):
        assert verify(new, b, h["x-convene-signature"])
        assert not verify(old, b, h["x-convene-signature"])
    assert b3 == b1 and h3["x-convene-delivery"] == first["delivery_id"]
    await rx.close()


async def test_a_deleted_webhook_gets_nothing_more(server):
    gone = await Receiver(fail=10_000).start()
    control = await Receiver(fail=10_000).start()
    w = await make_world(server)
    eid, sid = w.event["id"], w.session["id"]
    async with Api(server.url, w.token("mod")) as mod:
        hook = await register_webhook(mod, eid, gone.url, SECRET, events=["broadcast.message"])
        await register_webhook(mod, eid, control.url, SECRET, events=["broadcast.message"])
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "one"}, 201)
        await gone.wait_for(lambda h, b: True)
        await mod.ok("DELETE", f"/api/events/{eid}/webhooks/{hook['id']}", status=204)
        r = await mod.call("GET", f"/api/events/{eid}/webhooks/{hook['id']}/deliveries")
        assert r.status_code == 404
        r = await mod.call("POST", f"/api/events/{eid}/webhooks/{hook['id']}/ping")
        assert r.status_code == 404
        assert hook["id"] not in {
            h["id"] for h in await mod.ok("GET", f"/api/events/{eid}/webhooks")
        }
        # the control hook's retries run their course, then a new event reaches it alone
        await control.wait_for(lambda h, b: len(control.requests) >= 4, timeout=15)
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "two"}, 201)
        await control.wait_for(lambda h, b: orjson.loads(b)["data"]["text"] == "two")
    # at most the attempt already under way when it was deleted
    assert len(gone.requests) <= 2
    assert all(orjson.loads(b)["data"]["text"] == "one" for _, b in gone.requests)
    await gone.close()
    await control.close()
