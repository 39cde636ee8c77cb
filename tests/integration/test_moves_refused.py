"""Moves the service refuses, with the status the docs give and nothing changed: into
a room of a round that is only planned (409), and of an observer (422)."""

from __future__ import annotations

import pytest

from tests.support.client import Api, make_world

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _people(mod: Api, world) -> dict[str, str | None]:
    rows = await mod.ok("GET", f"/api/events/{world.event['id']}/people")
    return {p["id"]: p["room_id"] for p in rows}


async def test_moving_into_a_planned_rounds_room_is_409_and_changes_nothing(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as mod:
        planned = await mod.ok(
            "POST", f"/api/sessions/{sid}/breakouts", {"count": 2, "strategy": "balanced"}, 201
        )
        room = planned["rooms"][0]["id"]
        before = await _people(mod, w)
        r = await mod.call(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": room}
        )
        assert r.status_code == 409, r.text
        assert "not open yet" in r.json()["detail"]
        assert await _people(mod, w) == before
        # once the round is open, the same move is allowed
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{planned['id']}/open")
        moved = await mod.ok(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": room}
        )
        assert moved["room_id"] == room


async def test_a_second_planned_round_is_409_while_another_is_open(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as mod:
        first = await mod.ok(
            "POST", f"/api/sessions/{sid}/breakouts", {"count": 2, "strategy": "balanced"}, 201
        )
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{first['id']}/open")
        second = await mod.ok(
            "POST", f"/api/sessions/{sid}/breakouts", {"count": 3, "strategy": "balanced"}, 201
        )
        before = await _people(mod, w)
        body = {"person_id": w.id("p2"), "room_id": second["rooms"][2]["id"]}
        r = await mod.call("POST", f"/api/sessions/{sid}/moves", body)
        assert r.status_code == 409, r.text
        assert await _people(mod, w) == before


async def test_moving_an_observer_is_422_with_a_sentence(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as mod:
        plenary = w.session["plenary_room_id"]
        before = await _people(mod, w)
        r = await mod.call(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("obs"), "room_id": plenary}
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert "observer" in r.json()["detail"]
        assert await _people(mod, w) == before
