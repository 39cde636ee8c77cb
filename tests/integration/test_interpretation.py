"""Interpretation end to end: channels, on-air, handover, floor/relay/retour, dropped
interpreters, observers and listener counts."""

from __future__ import annotations

import pytest

from tests.support.client import Api, ws_connect
from tests.support.interpretation_booths import Booths

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_listening_on_air_handover_floor_and_relay(server):
    b = await Booths().setup(server)
    ch = await b.channels()
    assert set(ch) == {"en", "ar", "ru"}
    assert ch["en"]["source"] == {"kind": "floor", "language": "en"}
    assert ch["ar"]["source"] is None and ch["ar"]["on_air"] is None
    assert {s["person_id"] for s in ch["ar"]["booth"]} == {b.id("ar1"), b.id("ar2")}

    # the participant from Tbilisi hears Russian by default; she switches to it explicitly
    r = await b.call("p_ru", "PUT", "/listening", {"language": "ru"})
    assert r.status_code == 200 and r.json()["language"] == "ru"

    # bad input changes nothing
    assert (await b.call("p_en", "POST", "/channels/ar/on-air")).status_code == 403
    assert (await b.call("ar1", "POST", "/channels/ru/on-air")).status_code == 403
    assert (await b.call("ar1", "POST", "/channels/de/on-air")).status_code == 404
    r = await b.call("p_en", "PUT", "/listening", {"language": "xx"})
    assert r.status_code == 422

    r = await b.call("ar1", "POST", "/channels/ar/on-air")
    assert r.status_code == 200, r.text
    assert r.json()["channel"]["on_air"] == b.id("ar1")
    assert (await b.call("ru1", "POST", "/channels/ru/on-air")).status_code == 200
    r = await b.call("ar2", "POST", "/channels/ar/on-air")
    assert r.status_code == 409 and "handover" in r.json()["detail"]
    ch = await b.channels()
    assert ch["ru"]["source"] == {"kind": "interpreter", "language": "en"}
    assert ch["ru"]["listeners"] >= 1 and ch["ar"]["listeners"] >= 1

    # handover: only the partner is asked; the switch is one step
    r = await b.call("ar1", "POST", "/channels/ar/handover", {"to": b.id("p_en")})
    assert r.status_code == 422
    r = await b.call(
        "ar1", "POST", "/channels/ar/handover", {"to": "00000000-0000-0000-0000-000000000000"}
    )
    assert r.status_code == 404
    r = await b.call("ar1", "POST", "/channels/ar/handover", {"to": b.id("ar2")})
    assert r.status_code == 201, r.text
    req = await b.ws["ar2"].until(lambda f: f["type"] == "handover.requested")
    assert req["data"]["from"] == b.id("ar1") and req["data"]["to"] == b.id("ar2")
    assert (await b.call("p_en", "POST", "/channels/ar/handover/accept")).status_code == 403
    r = await b.call("ar2", "POST", "/channels/ar/handover/accept")
    assert r.status_code == 200 and r.json()["channel"]["on_air"] == b.id("ar2")
    assert (await b.call("ar2", "POST", "/channels/ar/handover/accept")).status_code == 409
    done = await b.ws["obs"].until(lambda f: f["type"] == "handover.completed")
    ar_updates = [
        f["data"]["channel"]["on_air"]
        for f in b.ws["obs"].frames
        if f["type"] == "channel.updated"
        and f["data"]["room_id"] == b.plenary
        and f["data"]["channel"]["language"] == "ar"
    ]
    assert ar_updates == [b.id("ar1"), b.id("ar2")]  # never none, never both
    assert done["data"]["to"] == b.id("ar2")
    assert not any(f["type"] == "handover.requested" for f in b.ws["p_ar"].frames)

    # an Arabic-speaking mayor takes the floor
    r = await b.call("mod", "PUT", "/floor", {"language": "ar"})
    assert r.status_code == 200 and r.json()["uncovered"] == []
    ch = await b.channels()
    assert ch["ar"]["source"] == {"kind": "floor", "language": "ar"}
    assert ch["en"]["source"] == {"kind": "interpreter", "language": "ar"}  # retour
    assert ch["en"]["on_air"] == b.id("ar2")
    assert ch["ru"]["source"] == {"kind": "relay", "language": "en"}  # pivot via English
    floor = await b.ws["p_ru"].until(lambda f: f["type"] == "floor.language")
    assert floor["data"]["language"] == "ar" and floor["data"]["previous"] == "en"
    # a client connecting now is told the plenary's floor speaks Arabic
    late = await ws_connect(server, b.sid, b.people["p_ru"]["token"])
    snap = (await late.next())["data"]
    await late.close()
    plenary = next(r for r in snap["rooms"] if r["id"] == b.plenary)
    assert plenary["floor_language"] == "ar"
    r = await b.call("mod", "PUT", "/floor", {"language": "de"})
    assert r.status_code == 422

    async with Api(server.url, b.people["mod"]["token"]) as mod:
        report = await mod.ok("GET", f"/api/sessions/{b.sid}/interpretation/report")
    who = {row["person_id"] for row in report["interpreters"]}
    assert {b.id("ar1"), b.id("ar2"), b.id("ru1")} <= who
    await b.close()


async def test_unanswered_handover_expires_and_the_live_one_stays(server):
    b = await Booths().setup(server, handover_timeout_s=5)
    assert (await b.call("ar1", "POST", "/channels/ar/on-air")).status_code == 200
    r = await b.call("ar1", "POST", "/channels/ar/handover", {"to": b.id("ar2")})
    assert r.status_code == 201
    expired = await b.ws["ar1"].until(lambda f: f["type"] == "handover.expired", timeout=10)
    assert expired["by"] is None
    assert (await b.channels())["ar"]["on_air"] == b.id("ar1")
    assert (await b.call("ar2", "POST", "/channels/ar/handover/accept")).status_code == 409
    await b.close()


async def test_a_dropped_interpreter_is_covered_by_the_partner(server):
    b = await Booths().setup(server, dropout_grace_s=1)
    assert (await b.call("ar1", "POST", "/channels/ar/on-air")).status_code == 200
    await b.ws.pop("ar1").close()  # all of Amal's connections drop
    ask = await b.ws["ar2"].until(
        lambda f: f["type"] == "handover.requested" and f["data"]["reason"] == "dropout",
        timeout=8,
    )
    assert ask["data"]["to"] == b.id("ar2") and ask["by"] is None
    gap = await b.ws["mod"].until(
        lambda f: f["type"] == "channel.uncovered" and f["data"]["language"] == "ar", timeout=8
    )
    assert gap["data"]["room_id"] == b.plenary
    assert not any(f["type"] == "channel.uncovered" for f in b.ws["p_ar"].frames)
    await b.close()


async def test_observers_see_channels_and_change_nothing(server):
    b = await Booths().setup(server)
    for method, path, body in [
        ("PUT", "/floor", {"language": "ar"}),
        ("POST", "/channels/ar/on-air", None),
        ("POST", "/channels/ar/handover", {"to": b.id("ar2")}),
    ]:
        r = await b.call("obs", method, path, body)
        assert r.status_code == 403, (path, r.text)
    assert (await b.call("ar1", "POST", "/channels/ar/on-air")).status_code == 200
    upd = await b.ws["obs"].until(lambda f: f["type"] == "channel.updated")
    assert upd["data"]["channel"]["on_air"] == b.id("ar1")
    snap = await ws_connect(b.server, b.sid, b.people["obs"]["token"])
    rooms = (await snap.next())["data"]["channels"]["rooms"]
    assert rooms[0]["room_id"] == b.plenary
    await snap.close()
    await b.close()


async def test_listener_counts_are_coalesced_per_room(server):
    b = await Booths().setup(server)
    for _ in range(3):
        for key in ("p_en", "p_ar", "p_ru"):
            r = await b.call(key, "PUT", "/listening", {"language": "ru"})
            assert r.status_code == 200
            r = await b.call(key, "PUT", "/listening", {"language": "ar"})
            assert r.status_code == 200
    final = await b.channels()
    counts = {lang: c["listeners"] for lang, c in final.items()}
    want = {k: v for k, v in counts.items()}

    def settled(f):
        return f["type"] == "listeners.changed" and f["data"]["counts"] == want

    await b.ws["mod"].until(settled, timeout=5)
    sent = [f for f in b.ws["mod"].frames if f["type"] == "listeners.changed"]
    assert len(sent) <= 4  # 18 switches, at most one stored count a second
    assert not any(f["type"] == "listeners.changed" for f in b.ws["p_en"].frames)
    await b.close()
