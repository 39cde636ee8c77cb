"""Interpretation across rooms: interpreters follow into language rooms, participants
hold only their room's channels, languages added or dropped late, listeners keep their
language when moving."""

from __future__ import annotations

import pytest

from tests.support.client import Api, ws_connect
from tests.support.interpretation_booths import Booths

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_interpreters_follow_into_language_rooms(server):
    b = await Booths().setup(server)
    async with b.api("mod") as mod:
        rnd = await b.language_round(mod, {"name": "City Lab collaborations"})
        await mod.ok("POST", f"/api/sessions/{b.sid}/breakouts/{rnd['id']}/open")
    rooms = {r["name"]: r["id"] for r in rnd["rooms"]}
    ar_room = rooms["Digital divide"]
    ch = await b.channels(ar_room)
    assert set(ch) == {"en", "ar"}
    moved = await b.ws["ar1"].until(
        lambda f: f["type"] == "room.moved" and f["data"]["person_id"] == b.id("ar1")
    )
    assert moved["data"]["to_room"] == ar_room
    r = await b.call("ar1", "POST", "/channels/ar/on-air")
    assert r.status_code == 200 and r.json()["room_id"] == ar_room
    ch = await b.channels(ar_room)
    assert ch["ar"]["on_air"] == b.id("ar1")
    assert ch["ar"]["source"] == {"kind": "interpreter", "language": "en"}
    # the Arabic-speaking participant is in that room and hears it
    assert ch["ar"]["listeners"] >= 1
    await b.close()


async def test_participants_hold_their_own_rooms_channels_only(server):
    """Opening a round: each participant gets the round and their own move, which
    carries their room's channels; other rooms' channels go to those rooms and the
    moderators, so 100 rooms are not 100 channel frames for everyone."""
    b = await Booths().setup(server)
    async with b.api("mod") as mod:
        rnd = await b.language_round(mod)
        rooms = {r["name"]: r["id"] for r in rnd["rooms"]}
        ar_room, ru_room = rooms["Digital divide"], rooms["Digital literacy"]
        start = {k: len(c.frames) for k, c in b.ws.items()}
        await mod.ok("POST", f"/api/sessions/{b.sid}/breakouts/{rnd['id']}/open")
        moved = await b.ws["p_ar"].until(
            lambda f: f["type"] == "room.moved" and f["data"]["person_id"] == b.id("p_ar")
        )
        assert moved["data"]["to_room"] == ar_room
        assert {c["language"] for c in moved["data"]["channels"]} == {"en", "ar"}
        r = await b.call("ar1", "POST", "/channels/ar/on-air")
        assert r.status_code == 200
        live = await b.ws["p_ar"].until(
            lambda f: f["type"] == "channel.updated" and f["data"]["channel"]["on_air"]
        )
        assert live["data"]["room_id"] == ar_room
        await b.ws["obs"].until(
            lambda f: f["type"] == "channel.updated" and f["data"]["channel"]["on_air"]
        )
        await mod.ok("POST", f"/api/sessions/{b.sid}/broadcast", {"text": "end"}, 201)
    for key in ("p_ru", "p_ar", "obs"):
        await b.ws[key].until(lambda f: f.get("data", {}).get("text") == "end")
    seen = {
        k: [f for f in b.ws[k].frames[start[k] :] if f["type"] == "channel.updated"]
        for k in ("p_ru", "p_ar", "obs")
    }
    assert {f["data"]["room_id"] for f in seen["p_ru"]} <= {ru_room, b.plenary}  # not ar_room
    assert {f["data"]["room_id"] for f in seen["obs"]} >= {ar_room, ru_room}  # media bridge
    # a fresh snapshot agrees: the plenary's channels and the caller's room's
    probe = await ws_connect(server, b.sid, b.people["p_ru"]["token"])
    snap = (await probe.next())["data"]
    await probe.close()
    assert {r["room_id"] for r in snap["channels"]["rooms"]} == {b.plenary, ru_room}
    await b.close()


async def test_a_language_added_late_appears_and_one_dropped_falls_back(server):
    b = await Booths().setup(server, interpretation_languages=["ar"])  # Russian was "tbc."
    assert set(await b.channels()) == {"en", "ar"}
    async with Api(server.url, server.admin_token) as admin:
        await admin.ok(
            "PATCH", f"/api/events/{b.event['id']}", {"interpretation_languages": ["ar", "ru"]}
        )
    for key in ("obs", "p_ru", "ru1"):  # every client of the running session hears of it
        added = await b.ws[key].until(
            lambda f: f["type"] == "channel.updated" and f["data"]["channel"]["language"] == "ru"
        )
        assert added["data"]["room_id"] == b.plenary and added["data"]["removed"] is False
        booth = {s["person_id"] for s in added["data"]["channel"]["booth"]}
        assert booth == {b.id("ru1"), b.id("ru2")}
    ch = await b.channels()
    assert set(ch) == {"en", "ar", "ru"} and ch["ru"]["source"] is None

    # the Tbilisi participant now hears the Russian booth
    assert (await b.call("p_ru", "PUT", "/listening", {"language": "ru"})).json()[
        "language"
    ] == "ru"
    assert (await b.call("ru1", "POST", "/channels/ru/on-air")).status_code == 200
    assert (await b.channels())["ru"]["source"] == {"kind": "interpreter", "language": "en"}
    live = await b.ws["mod"].until(
        lambda f: f["type"] == "channel.updated" and f["data"]["channel"]["on_air"] == b.id("ru1")
    )

    # the last voice goes off air: the moderators hear of it before the channel goes silent
    assert (await b.call("ru1", "POST", "/channels/ru/off-air")).status_code == 200
    silent = await b.ws["mod"].until(
        lambda f: (
            f["type"] == "channel.updated"
            and f["data"]["channel"]["language"] == "ru"
            and f["data"]["channel"]["source"] is None
            and not f["data"]["removed"]
        )
    )
    gap = next(
        f
        for f in b.ws["mod"].frames
        if f["type"] == "channel.uncovered"
        and f["data"]["language"] == "ru"
        and f["seq"] > live["seq"]
    )
    assert gap["seq"] < silent["seq"] and gap["data"]["listeners"] >= 1
    assert gap["data"]["reason"] == "off_air"
    assert (await b.call("ru1", "POST", "/channels/ru/on-air")).status_code == 200

    async with Api(server.url, server.admin_token) as admin:
        await admin.ok(
            "PATCH", f"/api/events/{b.event['id']}", {"interpretation_languages": ["ar"]}
        )
    gone = await b.ws["obs"].until(
        lambda f: f["type"] == "channel.updated" and f["data"]["removed"] is True
    )
    assert gone["data"]["room_id"] == b.plenary
    assert gone["data"]["channel"]["language"] == "ru" and gone["data"]["channel"]["on_air"] is None
    told = await b.ws["p_ru"].until(
        lambda f: f["type"] == "listening.changed" and f["data"].get("fallback_reason")
    )
    assert told["data"]["person_id"] == b.id("p_ru") and told["data"]["language"] == "en"
    assert told["data"]["fallback_reason"] == "language_dropped"
    assert told["data"]["requested"] == "ru" and told["data"]["previous"] == "ru"
    ch = await b.channels()
    assert set(ch) == {"en", "ar"}
    assert ch["en"]["listeners"] >= 2  # she is counted on the floor now
    report = await b.call("mod", "GET", "/interpretation/report")
    assert any(s["language"] == "ru" for s in report.json()["on_air"])  # history kept
    await b.close()


async def test_a_listener_keeps_their_language_when_moving_rooms(server):
    b = await Booths().setup(server)
    base = f"/api/sessions/{b.sid}/breakouts"
    async with b.api("mod") as mod:
        rnd = await mod.ok(
            "POST",
            base,
            {
                "rooms": [{"name": "City Lab collaborations"}],
                "strategy": "manual",
                "countdown_s": 0,
            },
            201,
        )
        await mod.ok("POST", f"{base}/{rnd['id']}/open")
        room = rnd["rooms"][0]["id"]

        # moved into a room without Russian: she hears the floor, told why
        await mod.ok(
            "POST", f"/api/sessions/{b.sid}/moves", {"person_id": b.id("p_ru"), "room_id": room}
        )
        away = await b.ws["p_ru"].until(lambda f: f["type"] == "listening.changed")
        assert away["data"] == {
            "person_id": b.id("p_ru"),
            "room_id": room,
            "language": "en",
            "previous": "ru",
            "fallback_reason": "no_channel_in_room",
            "requested": "ru",
            "reason": None,
        }
        assert (await b.channels(room))["en"]["listeners"] == 1
        # a fresh snapshot says what she hears
        snap = await ws_connect(server, b.sid, b.people["p_ru"]["token"])
        first = (await snap.next())["data"]
        assert first["you"]["listening"] == "en" and first["channel"] == "en"
        await snap.close()
        # ... but her choice is kept: a by-language plan made now puts her with Russian
        plan = await mod.ok(
            "POST",
            base,
            {
                "rooms": [{"name": "Digital literacy", "languages": ["ru"]}, {"name": "Other"}],
                "strategy": "by_language",
            },
            201,
        )
        ru_room = next(r for r in plan["rooms"] if r["name"] == "Digital literacy")
        assert b.id("p_ru") in ru_room["members"]

        # back in the plenary she hears Russian again, told so
        await mod.ok(
            "POST",
            f"/api/sessions/{b.sid}/moves",
            {"person_id": b.id("p_ru"), "room_id": b.plenary},
        )
        back = await b.ws["p_ru"].until(lambda f: f["type"] == "listening.changed")
        assert back["data"]["language"] == "ru" and back["data"]["previous"] == "en"
        assert back["data"]["fallback_reason"] is None
        assert back["data"]["reason"] == "channel_available"
        assert back["seq"] > away["seq"]
        assert (await b.channels())["ru"]["listeners"] >= 1
        await mod.ok("POST", f"{base}/{rnd['id']}/close")
    await b.ws["mod"].until(lambda f: f["type"] == "breakout.closed", timeout=10)
    await b.close()
