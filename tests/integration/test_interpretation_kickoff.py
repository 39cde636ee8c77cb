"""The kick-off of issue 6 with interpretation, end to end: what every client saw
agrees with the live state after each event."""

from __future__ import annotations

import datetime as dt

import pytest

from server import demo
from tests.support.client import Api, ws_connect
from tests.support.interpretation_booths import GROUPS

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def seen_channels(ws) -> dict[tuple[str, str], dict]:
    """Every room's channels as this client sees them: its snapshot, then each
    ``channel.updated`` it received, in order."""
    view: dict[tuple[str, str], dict] = {}
    for f in ws.frames:
        if f["type"] == "snapshot":
            view = {
                (room["room_id"], c["language"]): c
                for room in f["data"]["channels"]["rooms"]
                for c in room["channels"]
            }
        elif f["type"] == "channel.updated":
            key = (f["data"]["room_id"], f["data"]["channel"]["language"])
            if f["data"]["removed"]:
                view.pop(key, None)
            else:
                view[key] = f["data"]["channel"]
    return view


def live_after_each_seq(ws) -> list[tuple[int, dict[tuple[str, str], str]]]:
    """``(seq, {channel: person live on it})`` after each ``channel.updated``."""
    live: dict[tuple[str, str], str] = {}
    out = []
    for f in ws.frames:
        if f["type"] == "snapshot":
            live = {
                (room["room_id"], c["language"]): c["on_air"]
                for room in f["data"]["channels"]["rooms"]
                for c in room["channels"]
                if c["on_air"]
            }
        elif f["type"] == "channel.updated":
            key = (f["data"]["room_id"], f["data"]["channel"]["language"])
            live.pop(key, None)
            if not f["data"]["removed"] and f["data"]["channel"]["on_air"]:
                live[key] = f["data"]["channel"]["on_air"]
            out.append((f["seq"], dict(live)))
    return out


def on_air_seen(ws) -> list[tuple[str, str, str, dt.datetime, dt.datetime]]:
    """``(person, room, language, start, end)`` of each time on air, from the
    ``at`` of the ``channel.updated`` frames that put them on and took them off."""
    since: dict[tuple[str, str], tuple[str, dt.datetime]] = {}
    segments = []
    for f in ws.frames:
        if f["type"] != "channel.updated":
            continue
        key = (f["data"]["room_id"], f["data"]["channel"]["language"])
        at = _instant(f["at"])
        now_live = None if f["data"]["removed"] else f["data"]["channel"]["on_air"]
        was = since.get(key)
        if was and was[0] != now_live:
            segments.append((was[0], *key, was[1], at))
            del since[key]
        if now_live and key not in since:
            since[key] = (now_live, at)
    assert not since, "everyone is off air before the report is read"
    return sorted(segments, key=lambda seg: (seg[3], seg[0]))


async def test_kickoff_interpretation_end_to_end(server):
    async with Api(server.url, server.admin_token) as admin:
        event = await admin.ok("POST", "/api/events", dict(demo.EVENT), 201)
        eid = event["id"]
        people = {}
        for body in demo.kickoff_people():
            p = await admin.ok("POST", f"/api/events/{eid}/people", body, 201)
            people[p["name"]] = p
        session = await admin.ok("POST", f"/api/events/{eid}/sessions", dict(demo.SESSION), 201)
        sid, plenary = session["id"], session["plenary_room_id"]
        await admin.ok("POST", f"/api/sessions/{sid}/status", {"status": "live"})
    who = {
        "mod": "Katrin Vogel",
        "obs": "Media bridge",
        "rania": "Rania Haddad",
        "omar": "Omar Khalil",  # Arabic booth: en>ar, ar>en
        "irina": "Irina Volkova",
        "pavel": "Pavel Orlov",  # Russian booth (Pavel: en>ru)
        "nino": "Nino Beridze",  # City of Tbilisi
        "khaled": "Khaled Al-Zoubi",  # Mafraq, hears Arabic
        "julia": "Julia Brandt",  # Essen, hears English
        "amira": "Amira Ben Salah",  # Sousse, speaks Arabic
    }
    pid = {k: people[name]["id"] for k, name in who.items()}
    ws = {}
    for k, name in who.items():
        ws[k] = await ws_connect(server, sid, people[name]["token"])
        assert (await ws[k].next())["type"] == "snapshot"

    async def call(key, method, path, body=None):
        async with Api(server.url, people[who[key]]["token"]) as api:
            return await api.call(method, f"/api/sessions/{sid}{path}", body)

    def heard(key, room=plenary):
        """The channel the client ``key`` listens to, as that client sees it."""
        language = None
        for f in ws[key].frames:
            if f["type"] == "snapshot":
                language = f["data"]["you"]["listening"]
            elif f["type"] == "listening.changed":
                language = f["data"]["language"]
        return seen_channels(ws[key])[(room, language)]

    # -- the Tbilisi participant switches to Russian and hears the Russian booth --------
    r = await call("nino", "PUT", "/listening", {"language": "ru"})
    assert r.status_code == 200 and r.json()["language"] == "ru"
    await ws["nino"].until(lambda f: f["type"] == "listening.changed")
    for key, lang in (("khaled", "ar"), ("julia", "en")):  # their own languages already
        r = await call(key, "PUT", "/listening", {"language": lang})
        assert r.status_code == 200 and r.json()["language"] == lang
    assert (await call("irina", "POST", "/channels/ru/on-air")).status_code == 200
    assert (await call("rania", "POST", "/channels/ar/on-air")).status_code == 200
    await ws["nino"].until(
        lambda f: f["type"] == "channel.updated" and f["data"]["channel"]["on_air"] == pid["rania"]
    )
    assert heard("nino")["on_air"] == pid["irina"]
    assert heard("nino")["source"] == {"kind": "interpreter", "language": "en"}
    assert heard("khaled")["on_air"] is None  # his client has not read that far yet
    await ws["khaled"].until(
        lambda f: f["type"] == "channel.updated" and f["data"]["channel"]["on_air"] == pid["rania"]
    )
    assert heard("khaled")["source"] == {"kind": "interpreter", "language": "en"}

    # -- the Arabic booth agrees the handover in its own chat; no one else sees it ------
    r = await call("rania", "POST", "/messages", {"text": "عمر، تستلم عند :30؟", "to": "booth"})
    assert r.status_code == 201 and r.json()["language"] == "ar"  # her live channel
    agreed = await ws["omar"].until(lambda f: f["type"] == "chat.message")
    assert agreed["data"]["text"] == "عمر، تستلم عند :30؟"

    # -- Rania asks Omar to take over; he accepts: never both live, never nobody --------
    r = await call("rania", "POST", "/channels/ar/handover", {"to": pid["omar"]})
    assert r.status_code == 201
    await ws["omar"].until(lambda f: f["type"] == "handover.requested")
    assert (await call("omar", "POST", "/channels/ar/handover/accept")).status_code == 200
    arabic_booth = {pid["rania"], pid["omar"]}
    for key in ("obs", "mod"):
        done = await ws[key].until(lambda f: f["type"] == "handover.completed")
        steps = live_after_each_seq(ws[key])
        seqs = [seq for seq, _ in steps]
        assert seqs == sorted(set(seqs))
        first = next(i for i, (_, live) in enumerate(steps) if arabic_booth & set(live.values()))
        for seq, live in steps[first:]:  # from Rania's first frame on air to the handover
            assert seq < done["seq"]
            assert len(arabic_booth & set(live.values())) == 1, f"Arabic booth at {seq}: {live}"
        assert steps[-1][1][(plenary, "ar")] == pid["omar"]

    # -- Q&A: the Tunisian participant raises a hand in Arabic; the booths are warned --
    r = await call("amira", "POST", "/hands", {"language": "ar"})
    assert r.status_code == 201
    hand = r.json()
    for key in ("omar", "rania", "irina", "pavel", "mod"):
        up = await ws[key].until(lambda f: f["type"] == "floor.upcoming")
        assert (up["data"]["language"], up["data"]["person_id"]) == ("ar", pid["amira"])
    # -- the moderator calls her: the floor is Arabic, the channels switch ---------------
    r = await call("mod", "POST", f"/hands/{hand['id']}/call")
    assert r.status_code == 200 and r.json()["language"] == "ar"
    for key in ("khaled", "julia", "nino", "obs", "mod", "amira"):
        await ws[key].until(lambda f: f["type"] == "floor.language")
    for key in ("khaled", "julia", "nino", "amira"):  # participants see neither
        assert not [f for f in ws[key].frames if f["type"] in ("floor.upcoming", "chat.message")]
    for key in ("obs", "mod"):  # staff are not in the booth
        assert not [f for f in ws[key].frames if f["type"] == "chat.message"]
    # what each listener's own client shows for the channel they hear
    assert heard("khaled")["source"] == {"kind": "floor", "language": "ar"}
    assert heard("khaled")["on_air"] is None
    assert heard("julia")["source"] == {"kind": "interpreter", "language": "ar"}  # retour
    assert heard("julia")["on_air"] == pid["omar"]
    assert heard("nino")["source"] == {"kind": "relay", "language": "en"}  # pivot via English
    assert heard("nino")["on_air"] == pid["irina"]
    assert seen_channels(ws["obs"]) == seen_channels(ws["julia"])  # everyone sees the same
    for key in ("obs", "mod"):  # Omar moved to the retour: never live on two channels
        for seq, live in live_after_each_seq(ws[key]):
            people_live = list(live.values())
            assert len(people_live) == len(set(people_live)), f"someone on two channels at {seq}"

    # -- the working groups open; interpreters follow their languages --------------------
    async with Api(server.url, people[who["mod"]]["token"]) as mod:
        rnd = await mod.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {
                "rooms": [{"name": n, "languages": langs} for n, langs in GROUPS],
                "strategy": "by_language",
                "countdown_s": 0,
            },
            201,
        )
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    rooms = {r["name"]: r["id"] for r in rnd["rooms"]}
    ar_room, ru_room = rooms["Digital divide"], rooms["Digital literacy"]
    for key, room in (("rania", ar_room), ("khaled", ar_room), ("nino", ru_room)):
        await ws[key].until(
            lambda f, key=key, room=room: (
                f["type"] == "room.moved"
                and f["data"]["person_id"] == pid[key]
                and f["data"]["to_room"] == room
            )
        )
    assert (await call("rania", "POST", "/channels/ar/on-air")).json()["room_id"] == ar_room
    await ws["khaled"].until(
        lambda f: (
            f["type"] == "channel.updated"
            and f["data"]["room_id"] == ar_room
            and f["data"]["channel"]["on_air"] == pid["rania"]
        )
    )
    ar_channel = heard("khaled", ar_room)
    assert ar_channel["language"] == "ar"
    assert ar_channel["source"] == {"kind": "interpreter", "language": "en"}
    assert {s["person_id"] for s in ar_channel["booth"]} == arabic_booth
    async with Api(server.url, people[who["obs"]]["token"]) as obs:
        view = await obs.ok("GET", f"/api/sessions/{sid}/channels")
    by_room = {room["room_id"]: room for room in view["rooms"]}
    assert [c["language"] for c in by_room[ar_room]["channels"]] == ["en", "ar"]
    assert by_room[ar_room]["channels"][1]["listeners"] >= 1
    assert [c["language"] for c in by_room[ru_room]["channels"]] == ["en", "ru"]
    ru_booth = {s["person_id"] for s in by_room[ru_room]["channels"][1]["booth"]}
    assert ru_booth == {pid["irina"], pid["pavel"]}
    # she kept Russian into her working group (no fallback) and sees its booth
    await ws["nino"].until(
        lambda f: (
            f["type"] == "channel.updated"
            and f["data"]["room_id"] == ru_room
            and {s["person_id"] for s in f["data"]["channel"]["booth"]} == ru_booth
        )
    )
    assert heard("nino", ru_room)["language"] == "ru"
    assert not any(
        f["type"] == "listening.changed" and f["data"].get("fallback_reason")
        for f in ws["nino"].frames
    )

    # -- afterwards, the operator's on-air minutes match the on-air history --------------
    assert (await call("rania", "POST", "/channels/ar/off-air")).status_code == 200
    for on_air in (pid["rania"], None):  # the observer has read up to her going off air
        await ws["obs"].until(
            lambda f, on_air=on_air: (
                f["type"] == "channel.updated"
                and f["data"]["room_id"] == ar_room
                and f["data"]["channel"]["language"] == "ar"
                and f["data"]["channel"]["on_air"] == on_air
            )
        )
    seen = on_air_seen(ws["obs"])
    expected: dict[str, dict[str, float]] = {}
    for person, _, lang, start, end in seen:
        per_lang = expected.setdefault(person, {})
        per_lang[lang] = per_lang.get(lang, 0.0) + (end - start).total_seconds()
    assert set(expected) == {pid["rania"], pid["omar"], pid["irina"]}
    assert set(expected[pid["omar"]]) == {"ar", "en"}  # Arabic, then the retour
    assert [seg[1] for seg in seen if seg[0] == pid["rania"]] == [plenary, ar_room]
    async with Api(server.url, server.admin_token) as admin:
        report = await admin.ok("GET", f"/api/sessions/{sid}/interpretation/report")
    # the history is the frames' on-air history, to the millisecond
    history = [
        (s["person_id"], s["room_id"], s["language"], _instant(s["start"]), _instant(s["end"]))
        for s in report["on_air"]
    ]
    assert [h[:3] for h in history] == [seg[:3] for seg in seen]
    for got, want in zip(history, seen, strict=True):
        assert abs((got[3] - want[3]).total_seconds()) < 0.002, (got, want)
        assert abs((got[4] - want[4]).total_seconds()) < 0.002, (got, want)
    # and the minutes are its sums
    minutes = {row["person_id"]: row for row in report["interpreters"]}
    assert set(minutes) == set(expected)
    for person, per_lang in expected.items():
        assert set(minutes[person]["minutes"]) == set(per_lang)
        for lang, seconds in per_lang.items():
            assert minutes[person]["minutes"][lang] == pytest.approx(seconds / 60, abs=0.006)
        total = sum(per_lang.values()) / 60
        assert minutes[person]["total_minutes"] == pytest.approx(total, abs=0.006)
    for c in ws.values():
        await c.close()
