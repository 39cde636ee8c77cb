"""Interpreter turns: the minimum turn length and the turn.due notices to the live
interpreter, the partner and the moderators."""

from __future__ import annotations

import pytest

from tests.support.client import Api
from tests.support.interpretation_booths import Booths
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def short_turn_server(tmp_path_factory):
    """A service that lets events set turns of a few seconds (CONVENE_MIN_TURN_S)."""
    d = tmp_path_factory.mktemp("short-turns")
    env = {"CONVENE_DATABASE_URL": f"sqlite:///{d}/convene.db", "CONVENE_MIN_TURN_S": "1"}
    with ServerProcess(d, env) as srv:
        yield srv


async def test_turns_shorter_than_a_minute_are_refused_by_default(server):
    async with Api(server.url, server.admin_token) as admin:
        r = await admin.call("POST", "/api/events", {"title": "Short", "turn_s": 30})
        assert r.status_code == 422 and "turn_s must be at least 60" in r.text
        event = await admin.ok("POST", "/api/events", {"title": "Fine", "turn_s": 60}, 201)
        r = await admin.call("PATCH", f"/api/events/{event['id']}", {"turn_s": 59})
        assert r.status_code == 422 and "at least 60" in r.text


async def test_a_live_interpreter_past_their_turn_and_the_partner_get_turn_due(
    short_turn_server,
):
    b = await Booths().setup(short_turn_server, turn_s=2)
    r = await b.call("ar1", "POST", "/channels/ar/on-air")
    assert r.status_code == 200
    for key in ("ar1", "ar2"):
        due = await b.ws[key].until(lambda f: f["type"] == "turn.due", timeout=10)
        assert due["by"] is None  # the timer, not a person
        assert due["data"]["person_id"] == b.id("ar1")
        assert due["data"]["partner_id"] == b.id("ar2")
        assert due["data"]["language"] == "ar" and due["data"]["room_id"] == b.plenary
        assert due["data"]["on_air_s"] >= 2
    # the partner takes over: the turn they were reminded of is done
    assert (
        await b.call("ar1", "POST", "/channels/ar/handover", {"to": b.id("ar2")})
    ).status_code == 201
    await b.ws["ar2"].until(lambda f: f["type"] == "handover.requested")
    assert (await b.call("ar2", "POST", "/channels/ar/handover/accept")).status_code == 200
    nxt = await b.ws["ar1"].until(
        lambda f: f["type"] == "turn.due" and f["data"]["person_id"] == b.id("ar2"), timeout=10
    )
    assert nxt["data"]["partner_id"] == b.id("ar1")
    for key in ("p_ar", "ru1", "p_en"):
        assert not any(f["type"] == "turn.due" for f in b.ws[key].frames)
    await b.close()


async def test_turn_due_with_the_partner_offline_names_no_partner_and_tells_the_moderators(
    short_turn_server,
):
    b = await Booths().setup(short_turn_server, turn_s=2)
    await b.ws["ar2"].close()
    await b.ws["mod"].until(
        lambda f: f["type"] == "presence.left" and f["data"]["person_id"] == b.id("ar2")
    )
    assert (await b.call("ar1", "POST", "/channels/ar/on-air")).status_code == 200
    for key in ("ar1", "mod"):
        due = await b.ws[key].until(lambda f: f["type"] == "turn.due", timeout=10)
        assert due["data"]["person_id"] == b.id("ar1") and due["data"]["partner_id"] is None
    for key in ("p_ar", "ru1"):
        assert not any(f["type"] == "turn.due" for f in b.ws[key].frames)
    await b.close()
