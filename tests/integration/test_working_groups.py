"""A working-groups round through the API: a registration that matches no room name is
reported to the moderator, stored, and not spread over other rooms."""

from __future__ import annotations

import pytest

from tests.support.client import Api, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

REGISTERED = "Public service design optimisation"
SEEDED = "Public service design optimization"


async def test_a_registration_that_matches_no_room_is_reported_and_kept(any_server):
    server = any_server
    async with Api(server.url, server.admin_token) as admin:
        event = await admin.ok("POST", "/api/events", {"title": "Working groups"}, 201)
        eid = event["id"]
        session = await admin.ok(
            "POST",
            f"/api/events/{eid}/sessions",
            {"title": "Kick-off", "start": "2021-08-31T14:00", "end": "2021-08-31T16:00"},
            201,
        )
        mod = await admin.ok(
            "POST", f"/api/events/{eid}/people", {"name": "Mona", "role": "moderator"}, 201
        )
        people = {
            name: await admin.ok(
                "POST",
                f"/api/events/{eid}/people",
                {"name": name, "role": "participant", "groups": groups},
                201,
            )
            for name, groups in [
                ("Ion Rusu", [REGISTERED]),
                ("Ani Grigoryan", [REGISTERED.upper(), "Digital divide"]),
                ("Nino Beridze", ["Digital divide", REGISTERED]),
            ]
        }
    sid = session["id"]
    watcher = await ws_connect(server, sid, mod["token"])
    await watcher.next()
    async with Api(server.url, mod["token"]) as api:
        rnd = await api.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {"rooms": [{"name": "Digital divide"}, {"name": SEEDED}], "strategy": "working_groups"},
            201,
        )
        divide = rnd["rooms"][0]
        assert divide["members"] == [people["Nino Beridze"]["id"]]
        assert rnd["rooms"][1]["members"] == []
        reported = {u["person_id"]: u["reason"] for u in rnd["unplaced"]}
        assert set(reported) == {people["Ion Rusu"]["id"], people["Ani Grigoryan"]["id"]}
        for reason in reported.values():
            assert f"the closest room name is '{SEEDED}'" in reason
        stored = await api.ok("GET", f"/api/sessions/{sid}/breakouts/{rnd['id']}")
        assert stored["unplaced"] == rnd["unplaced"]
    created = await watcher.until(lambda f: f["type"] == "breakout.created")
    assert created["data"]["unplaced"] == rnd["unplaced"]
    await watcher.close()
