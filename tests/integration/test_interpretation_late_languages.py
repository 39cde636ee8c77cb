"""A language added late reaches the people who asked for it (issue 15, item 2), and a
floor change keeps the booths that were live covering the channels (item 3)."""

from __future__ import annotations

import pytest

from tests.support.client import Api, ws_connect

from .test_interpretation import Booths

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def patch_languages(b: Booths, languages: list[str]) -> None:
    async with Api(b.server.url, b.server.admin_token) as admin:
        await admin.ok(
            "PATCH", f"/api/events/{b.event['id']}", {"interpretation_languages": languages}
        )


async def snapshot_of(b: Booths, key: str) -> dict:
    probe = await ws_connect(b.server, b.sid, b.people[key]["token"])
    try:
        return (await probe.next())["data"]
    finally:
        await probe.close()


def plenary_counts(snap: dict, plenary: str) -> dict[str, int]:
    room = next(r for r in snap["channels"]["rooms"] if r["room_id"] == plenary)
    return {c["language"]: c["listeners"] for c in room["channels"]}


async def test_a_language_added_late_moves_the_people_who_speak_it(any_server):
    # Russian was "tbc.": the participant from Tbilisi (language ru) hears English
    b = await Booths().setup(any_server, interpretation_languages=["ar"])
    assert (await snapshot_of(b, "p_ru"))["you"]["listening"] == "en"

    await patch_languages(b, ["ar", "ru"])
    told = await b.ws["p_ru"].until(lambda f: f["type"] == "listening.changed")
    assert told["data"]["language"] == "ru" and told["data"]["previous"] == "en"
    assert told["data"]["fallback_reason"] is None

    ch = await b.channels()
    assert ch["ru"]["listeners"] == 1
    # the snapshot and the counts say the same
    snap = await snapshot_of(b, "p_ru")
    assert snap["you"]["listening"] == "ru" and snap["channel"] == "ru"
    assert plenary_counts(snap, b.plenary) == {k: c["listeners"] for k, c in ch.items()}
    await b.close()


async def test_a_choice_dropped_and_added_again_is_heard_again(any_server):
    b = await Booths().setup(any_server)
    r = await b.call("p_en", "PUT", "/listening", {"language": "ru"})
    assert r.status_code == 200 and r.json()["language"] == "ru"
    await b.ws["p_en"].until(lambda f: f["type"] == "listening.changed")

    await patch_languages(b, ["ar"])
    away = await b.ws["p_en"].until(lambda f: f["type"] == "listening.changed")
    assert away["data"]["language"] == "en"
    assert away["data"]["fallback_reason"] == "language_dropped"
    assert away["data"]["requested"] == "ru"

    await patch_languages(b, ["ar", "ru"])
    back = await b.ws["p_en"].until(lambda f: f["type"] == "listening.changed")
    assert back["data"]["language"] == "ru" and back["data"]["reason"] == "channel_available"
    ch = await b.channels()
    assert ch["ru"]["listeners"] == 2  # she and the participant from Tbilisi
    snap = await snapshot_of(b, "p_en")
    assert snap["you"]["listening"] == "ru"
    assert plenary_counts(snap, b.plenary) == {k: c["listeners"] for k, c in ch.items()}
    await b.close()


async def test_floor_from_arabic_to_russian_keeps_english_and_arabic_covered(server):
    b = await Booths().setup(server)
    assert (await b.call("ar1", "POST", "/channels/ar/on-air")).status_code == 200
    assert (await b.call("ru1", "POST", "/channels/ru/on-air")).status_code == 200
    r = await b.call("mod", "PUT", "/floor", {"language": "ar"})
    assert r.status_code == 200 and r.json()["uncovered"] == []

    r = await b.call("mod", "PUT", "/floor", {"language": "ru"})
    assert r.status_code == 200 and r.json()["uncovered"] == []
    ch = await b.channels()
    # the Russian booth gives the retour, the Arabic booth relays from it
    assert ch["en"]["on_air"] == b.id("ru1")
    assert ch["en"]["source"] == {"kind": "interpreter", "language": "ru"}
    assert ch["ar"]["on_air"] == b.id("ar1")
    assert ch["ar"]["source"] == {"kind": "relay", "language": "en"}
    assert ch["ru"]["on_air"] is None and ch["ru"]["source"] == {"kind": "floor", "language": "ru"}
    first = await b.ws["mod"].until(
        lambda f: f["type"] == "floor.language" and f["data"]["language"] == "ar"
    )
    # a later event of the moderator's own: every frame of the floor changes is read by then
    assert (await b.call("mod", "PUT", "/listening", {"language": "ar"})).status_code == 200
    await b.ws["mod"].until(lambda f: f["type"] == "listening.changed")
    # the moderators were told of no gap, and nobody was live on two channels at any seq
    assert not any(
        f["type"] == "channel.uncovered" and f["seq"] > first["seq"] for f in b.ws["mod"].frames
    )
    live: dict[str, str | None] = {}
    for f in b.ws["mod"].frames:
        if f["type"] == "channel.updated" and f["data"]["room_id"] == b.plenary:
            live[f["data"]["channel"]["language"]] = f["data"]["channel"]["on_air"]
            on = [p for p in live.values() if p]
            assert len(on) == len(set(on)), f"someone live on two channels at seq {f['seq']}"
    await b.close()
