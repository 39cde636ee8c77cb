"""Interpretation end to end: channels, on-air, handover, floor/relay/retour, breakouts."""

from __future__ import annotations

import datetime as dt

import pytest

from server import demo
from tests.support.client import Api, ws_connect
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

GROUPS = [  # the kick-off's working groups; the first two carry Arabic and Russian
    ("Digital divide", ["ar"]),
    ("Digital literacy", ["ru"]),
    ("Public service design optimisation", []),
    ("Digitalisation of municipal services", []),
    ("City Lab collaborations", []),
]

PEOPLE = {
    "mod": {"name": "Mona", "role": "moderator"},
    "ar1": {"name": "Amal", "role": "interpreter", "interprets": ["en>ar", "ar>en"]},
    "ar2": {"name": "Omar", "role": "interpreter", "interprets": ["en>ar", "ar>en"]},
    "ru1": {"name": "Irina", "role": "interpreter", "interprets": ["en>ru", "ru>en"]},
    "ru2": {"name": "Pavel", "role": "interpreter", "interprets": ["en>ru"]},
    "p_ru": {"name": "Nino", "role": "participant", "language": "ru", "timezone": "Asia/Tbilisi"},
    "p_ar": {"name": "Rami", "role": "participant", "language": "ar", "timezone": "Asia/Amman"},
    "p_en": {"name": "Jonas", "role": "participant", "language": "en"},
    "obs": {"name": "Media bridge", "role": "observer"},
}


class Booths:
    """An event with an Arabic and a Russian booth, everyone connected."""

    async def setup(self, server, **event):
        async with Api(server.url, server.admin_token) as admin:
            self.event = await admin.ok("POST", "/api/events", {"title": "Booths", **event}, 201)
            eid = self.event["id"]
            self.session = await admin.ok(
                "POST",
                f"/api/events/{eid}/sessions",
                {"title": "Kick-off", "start": "2021-08-31T14:00", "end": "2021-08-31T16:00"},
                201,
            )
            self.people = {
                k: await admin.ok("POST", f"/api/events/{eid}/people", b, 201)
                for k, b in PEOPLE.items()
            }
            await admin.ok("POST", f"/api/sessions/{self.sid}/status", {"status": "live"})
        self.ws = {}
        for key in PEOPLE:
            c = await ws_connect(server, self.sid, self.people[key]["token"])
            await c.next()
            self.ws[key] = c
        self.server = server
        return self

    @property
    def sid(self) -> str:
        return self.session["id"]

    @property
    def plenary(self) -> str:
        return self.session["plenary_room_id"]

    def id(self, key):
        return self.people[key]["id"]

    def api(self, key):
        return Api(self.server.url, self.people[key]["token"])

    async def call(self, key, method, path, body=None):
        async with self.api(key) as api:
            return await api.call(method, f"/api/sessions/{self.sid}{path}", body)

    async def channels(self, room=None):
        async with self.api("obs") as api:
            view = await api.ok("GET", f"/api/sessions/{self.sid}/channels")
        room = room or self.plenary
        r = next(r for r in view["rooms"] if r["room_id"] == room)
        return {c["language"]: c for c in r["channels"]}

    async def language_round(self, mod: Api, *more_rooms: dict) -> dict:
        """A by-language round: an Arabic room, a Russian room and ``more_rooms``."""
        rooms = [
            {"name": "Digital divide", "languages": ["ar"]},
            {"name": "Digital literacy", "languages": ["ru"]},
            *more_rooms,
        ]
        body = {"rooms": rooms, "strategy": "by_language"}
        return await mod.ok("POST", f"/api/sessions/{self.sid}/breakouts", body, 201)

    async def close(self):
        for c in self.ws.values():
            await c.close()


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


# ---- the kick-off of issue 6, end to end -------------------------------------------------


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
