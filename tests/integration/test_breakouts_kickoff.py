"""The 2021 kick-off's breakouts, scripted end to end with real WebSocket clients: every
client's view agrees with the live state at every seq."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from server.demo import kickoff_people
from tests.support import reducer
from tests.support.breakout_timeline import (
    as_of,
    member_check,
    staff_check,
    staff_projection,
    timeline,
    views_agree,
)
from tests.support.client import Api, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")


GROUPS = [
    ("Digital divide", ["ar"]),
    ("Digital literacy", ["ru"]),
    ("Public service design optimisation", []),
    ("Digitalisation of municipal services", []),
    ("City Lab collaborations", []),
]


async def _kickoff(server):
    async with Api(server.url, server.admin_token) as admin:
        event = await admin.ok("POST", "/api/events", {"title": "Kick-off 2021"}, 201)
        people = []
        for body in kickoff_people():
            people.append(await admin.ok("POST", f"/api/events/{event['id']}/people", body, 201))
        session = await admin.ok(
            "POST",
            f"/api/events/{event['id']}/sessions",
            {"title": "Kick-off plenary", "start": "2021-08-31T14:00", "end": "2021-08-31T16:00"},
            201,
        )
        await admin.ok("POST", f"/api/sessions/{session['id']}/status", {"status": "live"})
    return event, session, people


TEXT = "5 minutes left"


TRANSLATIONS = {"ar": "بقيت 5 دقائق", "ru": "Осталось 5 минут"}


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_scripted_kickoff(server):
    event, session, people = await _kickoff(server)
    sid = session["id"]
    plenary = session["plenary_room_id"]
    by_role: dict[str, list[dict]] = {}
    for p in people:
        by_role.setdefault(p["role"], []).append(p)
    mod, mod2 = by_role["moderator"]
    observer = by_role["observer"][0]
    interpreters = by_role["interpreter"]
    participants = by_role["participant"]
    name = {p["id"]: p["name"] for p in people}
    assert len(people) == 45 and len(participants) == 38 and len(interpreters) == 4
    staff_ids = [mod["id"], mod2["id"], observer["id"]]

    # everyone is on a WebSocket: 45 real clients
    conns = await asyncio.gather(*(ws_connect(server, sid, p["token"]) for p in people))
    clients = {p["id"]: c for p, c in zip(people, conns, strict=True)}
    for p in people:
        snap = await clients[p["id"]].next()
        assert snap["type"] == "snapshot"
        if p["role"] != "observer":
            assert snap["data"]["you"]["room_id"] == plenary, p["name"]
    m = clients[mod["id"]]
    api = Api(server.url, mod["token"])

    def as_(person):
        return Api(server.url, person["token"])

    # an English speaker will listen to the Russian channel: they count as Russian
    switcher = next(p for p in participants if p["language"] == "en")
    async with as_(switcher) as sw:
        chose = await sw.ok("PUT", f"/api/sessions/{sid}/listening", {"language": "ru"})
    assert chose["language"] == "ru"
    await clients[switcher["id"]].until(lambda f: f["type"] == "listening.changed")
    need = {p["id"]: p["language"] for p in participants} | {switcher["id"]: "ru"}

    # plan by language: Arabic and Russian listeners only where their language is carried
    rnd = await api.ok(
        "POST",
        f"/api/sessions/{sid}/breakouts",
        {
            "rooms": [{"name": n, "languages": langs} for n, langs in GROUPS],
            "strategy": "by_language",
            "duration_s": 60,
            "countdown_s": 2,
        },
        201,
    )
    assert rnd["status"] == "planned" and rnd["unplaced"] == [] and rnd["uncovered"] == []
    rooms = {r["name"]: r for r in rnd["rooms"]}
    round_rooms = {r["id"] for r in rnd["rooms"]}
    langs_of = {r["id"]: r["languages"] for r in rnd["rooms"]}
    for r in rnd["rooms"]:
        for pid in r["members"]:
            if need[pid] in ("ar", "ru"):
                assert need[pid] in r["languages"], (r["name"], name[pid])
    assert sorted(pid for r in rnd["rooms"] for pid in r["members"]) == sorted(need)

    # adjust the plan: exchange two English-speaking participants of different rooms
    en_rooms = [rooms[n] for n, langs in GROUPS if not langs]
    a, b = en_rooms[0]["members"][0], en_rooms[1]["members"][0]
    after = await api.ok(
        "POST",
        f"/api/sessions/{sid}/breakouts/{rnd['id']}/plan/exchange",
        {"person_a": a, "person_b": b},
    )
    planned = {pid: r["id"] for r in after["rooms"] for pid in r["members"]}
    assert planned[a] == en_rooms[1]["id"] and planned[b] == en_rooms[0]["id"]
    # a participant sees only their own planned room
    async with as_(participants[0]) as p0:
        mine = await p0.ok("GET", f"/api/sessions/{sid}/breakouts/{rnd['id']}")
    assert all("members" not in r for r in mine["rooms"])
    assert mine["your_room"] == planned[participants[0]["id"]]

    # open: everyone told their room, with one ends_at for all; the booths follow
    opened = await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    assert opened["status"] == "open"
    ends = set()
    moved = dict(planned)
    for pid, c in clients.items():
        f = await c.until(lambda f: f["type"] == "breakout.opened")
        ends.add(f["data"]["ends_at"])
        if pid in planned or pid in {i["id"] for i in interpreters}:
            mv = await c.until(
                lambda f, pid=pid: f["type"] == "room.moved" and f["data"]["person_id"] == pid
            )
            assert mv["data"]["from_room"] == plenary
            moved[pid] = mv["data"]["to_room"]
    assert len(ends) == 1 and ends.pop().endswith("Z")
    assert moved.items() >= planned.items()
    for i in interpreters:
        assert i["language"] in langs_of[moved[i["id"]]], i["name"]
    for pid in staff_ids:  # moderators and the observer see every move
        pending = set(moved)

        def all_moves(f, pending=pending):
            if (
                f["type"] == "room.moved"
                and moved.get(f["data"]["person_id"]) == f["data"]["to_room"]
            ):
                pending.discard(f["data"]["person_id"])
            return not pending

        await clients[pid].until(all_moves)

    # a multilingual broadcast: each client gets the text of the language it listens to
    sent = await api.ok(
        "POST",
        f"/api/sessions/{sid}/broadcast",
        {"text": TEXT, "translations": TRANSLATIONS},
        201,
    )
    heard = {}
    for pid, c in clients.items():
        f = await c.until(lambda f: f["type"] == "broadcast.message")
        assert f["seq"] == sent["seq"]
        heard[pid] = f["data"]
    for p in participants:
        assert heard[p["id"]]["text"] == TRANSLATIONS.get(need[p["id"]], TEXT), p["name"]

    # help: only the moderators see who and where; the asker is told it was received
    # and that a moderator is on the way; the moderator arriving resolves it
    asker = next(p for p in participants if p["language"] == "ar")
    async with as_(asker) as ask:
        h = await ask.ok("POST", f"/api/sessions/{sid}/help", {"text": "no sound"}, 201)
    for pid in staff_ids:
        req = await clients[pid].until(lambda f: f["type"] == "help.requested")
        assert req["data"]["help_id"] == h["id"] and req["data"]["person_id"] == asker["id"]
        assert req["data"]["room_id"] == planned[asker["id"]]
        assert req["data"]["room_name"] == "Digital divide"
    ac = clients[asker["id"]]
    got = await ac.until(lambda f: f["type"] == "help.received")
    assert got["data"]["help_id"] == h["id"]
    claimed = await api.ok("POST", f"/api/sessions/{sid}/help/{h['id']}/claim")
    assert claimed["status"] == "claimed" and claimed["claimed_by"] == mod["id"]
    on_way = await ac.until(lambda f: f["type"] == "help.claimed")
    assert on_way["data"]["moderator_id"] == mod["id"] and on_way["data"]["help_id"] == h["id"]
    await api.ok(
        "POST",
        f"/api/sessions/{sid}/moves",
        {"person_id": mod["id"], "room_id": planned[asker["id"]]},
    )
    res = await ac.until(lambda f: f["type"] == "help.resolved")
    assert res["data"] == {
        "help_id": h["id"],
        "person_id": asker["id"],
        "reason": "moderator_arrived",
    }
    # a second request, cancelled by its asker: the moderators see it go
    asker2 = next(p for p in participants if p["language"] == "ru")
    async with as_(asker2) as ask:
        h2 = await ask.ok("POST", f"/api/sessions/{sid}/help", {"text": "which room?"}, 201)
        await m.until(lambda f: f["type"] == "help.requested" and f["data"]["help_id"] == h2["id"])
        assert await ask.ok("DELETE", f"/api/sessions/{sid}/help/{h2['id']}", status=204) is None
    cancelled = await m.until(
        lambda f: f["type"] == "help.resolved" and f["data"]["help_id"] == h2["id"]
    )
    assert cancelled["data"]["reason"] == "cancelled"
    await clients[asker2["id"]].until(lambda f: f["type"] == "help.resolved")
    assert await api.ok("GET", f"/api/sessions/{sid}/help") == []

    # the moderator shortens the round: the timer ends it in about 2 s from now
    remaining = (_instant(opened["ends_at"]) - dt.datetime.now(dt.UTC)).total_seconds()
    assert remaining > 5
    ext = await api.ok(
        "POST",
        f"/api/sessions/{sid}/breakouts/{rnd['id']}/extend",
        {"seconds": -(int(remaining) - 2)},
    )
    for c in clients.values():
        f = await c.until(lambda f: f["type"] == "breakout.extended")
        assert f["data"]["ends_at"] == ext["ends_at"]
    extended_seq = f["seq"]

    # a participant drops out during the closing countdown
    gone = next(p for p in participants if p["id"] not in {asker["id"], asker2["id"], a, b})
    gc = clients.pop(gone["id"])
    await gc.until(lambda f: f["type"] == "breakout.closing", timeout=10)
    await gc.close()
    closing = await m.until(lambda f: f["type"] == "breakout.closing", timeout=10)
    left = await m.until(
        lambda f: f["type"] == "presence.left" and f["data"]["person_id"] == gone["id"]
    )
    closed = await m.until(lambda f: f["type"] == "breakout.closed", timeout=10)
    assert closing["by"] is None and closed["by"] is None  # the timer, not a person
    assert closing["seq"] < left["seq"] < closed["seq"]
    tolerance = dt.timedelta(milliseconds=5)
    assert _instant(closing["at"]) + tolerance >= _instant(ext["ends_at"])
    closes_at = _instant(closing["data"]["closes_at"])
    assert abs((closes_at - _instant(closing["at"])).total_seconds() - 2) < 0.5
    assert _instant(closed["at"]) + tolerance >= closes_at
    for pid, c in clients.items():
        if pid != mod["id"]:
            await c.until(lambda f: f["type"] == "breakout.closed", timeout=5)
    async with as_(mod) as check:
        everyone = await check.ok("GET", f"/api/events/{event['id']}/people")
    placed = {p["id"]: p["room_id"] for p in everyone if p["role"] != "observer"}
    assert set(placed.values()) == {plenary}  # including the one who was offline
    assert not next(p for p in everyone if p["id"] == gone["id"])["online"]
    back = await ws_connect(server, sid, gone["token"])
    again = (await back.next())["data"]
    assert again["you"]["room_id"] == plenary and again["round"] is None
    await back.close()

    # fresh snapshots now, then a marker everyone has read up to
    fresh = {}
    for pid in clients:
        probe = await ws_connect(server, sid, next(p["token"] for p in people if p["id"] == pid))
        fresh[pid] = await probe.next()
        await probe.close()
    marker = await api.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "marker"}, 201)
    for c in clients.values():
        await c.until(lambda f: f.get("data", {}).get("text") == "marker")

    # the invariants at every seq of the staff's views, and of everyone's own view
    check = staff_check(plenary, round_rooms, closed["seq"])
    staff = {pid: timeline(clients[pid], check) for pid in staff_ids}
    members = {pid: timeline(c, member_check) for pid, c in clients.items() if pid not in staff_ids}
    members[gone["id"]] = timeline(gc, member_check)
    since = max(clients[pid].frames[0]["seq"] for pid in staff_ids)  # all connected
    # moves between rooms (a first arrival, from no room, may still be under way when
    # the last staff member's snapshot is taken: all 45 connect at once)
    moves = {
        pid: [
            f
            for f in clients[pid].frames[1:]
            if f["type"] == "room.moved" and f["seq"] > since and f["data"]["from_room"]
        ]
        for pid in staff_ids
    }
    assert moves[observer["id"]] == moves[mod["id"]] == moves[mod2["id"]]  # all moves
    expected = [
        *moved.items(),  # the opening
        (mod["id"], planned[asker["id"]]),  # the moderator answering the call
        *((pid, plenary) for pid in [*moved, mod["id"]]),  # the closing
    ]
    got = [(f["data"]["person_id"], f["data"]["to_room"]) for f in moves[mod["id"]]]
    assert sorted(got) == sorted(expected)
    for seq in (sent["seq"], extended_seq, marker["seq"]):
        view = as_of(staff[mod["id"]], seq)
        for pid in staff_ids[1:]:
            assert staff_projection(as_of(staff[pid], seq)) == staff_projection(view)
        online = {pid: as_of(tl, seq) for pid, tl in members.items()}
        if seq == marker["seq"]:
            online.pop(gone["id"])
        views_agree(view, online)
        if seq == sent["seq"]:  # what each client heard is the language it listens to
            for pid, s in online.items():
                lang = s["you"]["listening"]
                assert heard[pid]["text"] == TRANSLATIONS.get(lang, TEXT), name[pid]
    end = as_of(staff[mod["id"]], marker["seq"])
    assert {p["room_id"] for p in end["people"] if p["role"] != "observer"} == {plenary}
    assert end["help"] == [] and end["round"] is None
    # each client's reduced state equals a fresh snapshot of the same seq
    timelines = {**staff, **members}
    for pid, snap in fresh.items():
        mine = reducer.project(as_of(timelines[pid], snap["seq"]))
        assert mine == reducer.project(snap["data"]), name[pid]

    # help requests reach only the moderators; each asker hears only of their own
    own = {asker["id"]: {h["id"]}, asker2["id"]: {h2["id"]}}
    for pid, c in [*clients.items(), (gone["id"], gc)]:
        if pid in staff_ids:
            continue
        for f in c.frames:
            if f["type"].startswith("help."):
                assert f["type"] != "help.requested", name[pid]
                assert f["data"]["help_id"] in own.get(pid, set()), (name[pid], f)
    await api.http.aclose()
    for c in clients.values():
        await c.close()
