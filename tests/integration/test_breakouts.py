"""Breakouts end to end: the scripted kick-off with real WebSocket clients, and bad input."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from server.demo import kickoff_people
from tests.support import reducer
from tests.support.client import Api, make_world, ws_connect

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


def _bulk_move(f: dict | None) -> bool:
    """A move that is part of a round opening or closing (its counts and member lists
    travel with the ``breakout.opened``/``breakout.closed`` frame)."""
    return f is not None and f["type"] == "room.moved" and bool(f["data"].get("round_id"))


def _timeline(ws, check=None) -> list[tuple[int, dict]]:
    """(seq, state) after the snapshot and after each later frame, as the client's
    reducer builds it; ``check(state, frame, next_frame)`` runs at every seq."""
    snap = ws.frames[0]
    assert snap["type"] == "snapshot"
    state = snap["data"]
    out = [(snap["seq"], state)]
    frames = ws.frames[1:]
    for i, f in enumerate(frames):
        assert f["seq"] > out[-1][0], "frames arrive once, in seq order"
        state = reducer.apply(state, f)
        if check is not None:
            check(state, f, frames[i + 1] if i + 1 < len(frames) else None)
        out.append((f["seq"], state))
    return out


def _as_of(timeline: list[tuple[int, dict]], seq: int) -> dict:
    return [state for s, state in timeline if s <= seq][-1]


def _staff_check(plenary: str, round_rooms: set[str], closed_seq: int):
    """The invariants, at every seq of a moderator's (or the observer's) view."""

    def check(state: dict, f: dict, nxt: dict | None) -> None:
        if f["type"] == "room.moved":  # never a room of another session or round
            assert f["data"]["to_room"] in {plenary, *round_rooms}, f
        rooms = {r["id"]: r for r in state["rooms"]}
        holders: dict[str, list[str]] = {}
        for r in rooms.values():
            for pid in r["members"]:
                holders.setdefault(pid, []).append(r["id"])
        # between a round's opening (or closing) frame and the last of its moves, a
        # person's room_id and the rooms' member lists are a frame or two apart
        settled = not (
            f["type"] == "breakout.opened"
            or _bulk_move(nxt)
            or (_bulk_move(f) and (nxt is None or nxt["type"] == "breakout.closed"))
        )
        for p in state["people"]:
            where = holders.get(p["id"], [])
            if p["role"] == "observer" or p["room_id"] is None:
                assert where == [], (f["seq"], p["name"], where)
                continue
            assert p["room_id"] in rooms, (f["seq"], p["name"])
            assert len(where) == 1, (f["seq"], p["name"], where)  # exactly one room
            if settled:
                assert where == [p["room_id"]], (f["seq"], p["name"])
            if f["seq"] >= closed_seq:
                assert p["room_id"] == plenary, (f["seq"], p["name"])
        if settled:
            online = {p["id"] for p in state["people"] if p["online"]}
            for r in rooms.values():
                assert r["members_count"] == len(r["members"]), (f["seq"], r["name"])
                assert r["online_count"] == len(online & set(r["members"])), (f["seq"], r["name"])

    return check


def _member_check(state: dict, f: dict, nxt: dict | None) -> None:
    """A participant's (or interpreter's) own view: always in exactly one room it knows."""
    assert state["room"] is not None and state["room"]["id"] == state["you"]["room_id"], f


def _views_agree(mod: dict, members: dict[str, dict]) -> None:
    """The moderator's view equals the union of what the people in each room see."""
    rooms = {r["id"]: r for r in mod["rooms"]}
    people = {p["id"]: p for p in mod["people"]}
    counts = {rid: r["members_count"] for rid, r in rooms.items()}
    seen: dict[str, set[str]] = {}
    for pid, s in members.items():
        own = s["room"]
        assert own["id"] == people[pid]["room_id"], people[pid]["name"]
        assert own["members"] == rooms[own["id"]]["members"], people[pid]["name"]
        assert {r["id"]: r["members_count"] for r in s["rooms"]} == counts
        seen.setdefault(own["id"], set()).update(own["members"])
    for rid, pids in seen.items():
        assert pids == set(rooms[rid]["members"]), rooms[rid]["name"]


def _staff_projection(state: dict) -> dict:
    view = reducer.project(state)
    for key in ("you", "room", "channel"):
        view.pop(key)
    return view


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
    check = _staff_check(plenary, round_rooms, closed["seq"])
    staff = {pid: _timeline(clients[pid], check) for pid in staff_ids}
    members = {
        pid: _timeline(c, _member_check) for pid, c in clients.items() if pid not in staff_ids
    }
    members[gone["id"]] = _timeline(gc, _member_check)
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
        view = _as_of(staff[mod["id"]], seq)
        for pid in staff_ids[1:]:
            assert _staff_projection(_as_of(staff[pid], seq)) == _staff_projection(view)
        online = {pid: _as_of(tl, seq) for pid, tl in members.items()}
        if seq == marker["seq"]:
            online.pop(gone["id"])
        _views_agree(view, online)
        if seq == sent["seq"]:  # what each client heard is the language it listens to
            for pid, s in online.items():
                lang = s["you"]["listening"]
                assert heard[pid]["text"] == TRANSLATIONS.get(lang, TEXT), name[pid]
    end = _as_of(staff[mod["id"]], marker["seq"])
    assert {p["room_id"] for p in end["people"] if p["role"] != "observer"} == {plenary}
    assert end["help"] == [] and end["round"] is None
    # each client's reduced state equals a fresh snapshot of the same seq
    timelines = {**staff, **members}
    for pid, snap in fresh.items():
        mine = reducer.project(_as_of(timelines[pid], snap["seq"]))
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


async def _round(api, sid, **body):
    base = {"count": 3, "strategy": "balanced"}
    return await api.ok("POST", f"/api/sessions/{sid}/breakouts", {**base, **body}, 201)


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"count": 0, "strategy": "balanced"}, "count"),
        ({"count": 101, "strategy": "balanced"}, "count"),
        ({"rooms": [{"name": "A"}, {"name": "a"}], "strategy": "balanced"}, "unique"),
        ({"count": 2, "strategy": "balanced", "duration_s": 0}, "duration_s"),
        ({"count": 2, "strategy": "alphabetical"}, "strategy"),
        ({"rooms": [{"name": "A", "languages": ["de"]}], "strategy": "by_language"}, "de"),
        ({"strategy": "balanced"}, "count"),
    ],
)
async def test_bad_rounds_are_422_and_create_nothing(server, body, needle):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        r = await api.call("POST", f"/api/sessions/{sid}/breakouts", body)
        assert r.status_code == 422 and needle in r.json()["detail"], r.text
        assert await api.ok("GET", f"/api/sessions/{sid}/breakouts") == []


async def test_round_conflicts_and_permissions(server):
    w = await make_world(server)
    other = await make_world(server, title="Other")
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        first = await _round(api, sid)
        second = await _round(api, sid)
        base = f"/api/sessions/{sid}/breakouts"
        await api.ok("POST", f"{base}/{first['id']}/open")
        r = await api.call("POST", f"{base}/{first['id']}/open")
        assert r.status_code == 409
        r = await api.call("POST", f"{base}/{second['id']}/open")
        assert r.status_code == 409 and "close it" in r.json()["detail"]
        # a room of another session is 404, and so is a person of another event
        other_room = other.session["plenary_room_id"]
        r = await api.call(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": other_room}
        )
        assert r.status_code == 404
        r = await api.call(
            "POST",
            f"/api/sessions/{sid}/moves",
            {"person_id": other.id("p1"), "room_id": w.session["plenary_room_id"]},
        )
        assert r.status_code == 404
        room = next(r["id"] for r in first["rooms"] if w.id("p1") not in r["members"])
        async with Api(server.url, w.token("p1")) as p1:
            r = await p1.call(
                "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p2"), "room_id": room}
            )
            assert r.status_code == 403
            r = await p1.call(
                "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": room}
            )
            assert r.status_code == 403  # not a self-select round
            r = await p1.call("POST", f"{base}/{first['id']}/close")
            assert r.status_code == 403
        await api.ok("POST", f"{base}/{first['id']}/close")
        r = await api.call("POST", f"{base}/{first['id']}/close")
        assert r.status_code == 409


async def test_csv_plan_lists_every_bad_line_and_applies_nothing(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        rnd = await api.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {
                "rooms": [{"name": "Digital divide"}, {"name": "City Lab collaborations"}],
                "strategy": "manual",
            },
            201,
        )
        url = f"/api/sessions/{sid}/breakouts/{rnd['id']}/plan"
        bad = (
            "email,room\nnino@example.org,Digital divide\nnobody@example.org,City Lab "
            "collaborations\nrami@example.org,Atlantis\n"
        )
        r = await api.call("PUT", url, content=bad.encode(), headers={"content-type": "text/csv"})
        assert r.status_code == 422
        lines = {e["line"] for e in r.json()["errors"]}
        assert lines == {3, 4}
        unchanged = await api.ok("GET", f"/api/sessions/{sid}/breakouts/{rnd['id']}")
        assert all(room["members"] == [] for room in unchanged["rooms"])
        good = (
            "email,room\nnino@example.org,Digital divide\n"
            "rami@example.org,City Lab collaborations\n"
        )
        r = await api.call("PUT", url, content=good.encode(), headers={"content-type": "text/csv"})
        assert r.status_code == 200, r.text
        plan = {room["name"]: room["members"] for room in r.json()["rooms"]}
        assert plan == {"Digital divide": [w.id("p1")], "City Lab collaborations": [w.id("p2")]}


async def test_self_select_respects_capacity(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        rnd = await api.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {
                "rooms": [{"name": "Small", "capacity": 1}, {"name": "Big"}],
                "strategy": "self_select",
            },
            201,
        )
        await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    small = rnd["rooms"][0]["id"]
    async with Api(server.url, w.token("p1")) as p1, Api(server.url, w.token("p2")) as p2:
        await p1.ok(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p1"), "room_id": small}
        )
        r = await p2.call(
            "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id("p2"), "room_id": small}
        )
        assert r.status_code == 409 and "full" in r.json()["detail"]
        back = await p1.ok(
            "POST",
            f"/api/sessions/{sid}/moves",
            {"person_id": w.id("p1"), "room_id": w.session["plenary_room_id"]},
        )
        assert back["room_id"] == w.session["plenary_room_id"]


async def test_latecomer_learns_their_room_from_the_snapshot(server):
    w = await make_world(server)
    sid = w.session["id"]
    async with Api(server.url, w.token("mod")) as api:
        rnd = await _round(api, sid, count=2)
        await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
    late = await ws_connect(server, sid, w.token("p3"))
    snap = (await late.next())["data"]
    assert snap["round"]["status"] == "open"
    assert snap["you"]["room_id"] in {r["id"] for r in rnd["rooms"]}
    assert snap["round"]["your_room"] == snap["you"]["room_id"]
    await late.close()


async def test_extend_and_cancel_the_countdown(server):
    w = await make_world(server)
    sid = w.session["id"]
    c = await ws_connect(server, sid, w.token("p1"))
    await c.next()
    async with Api(server.url, w.token("mod")) as api:
        rnd = await _round(api, sid, duration_s=600, countdown_s=600)
        base = f"/api/sessions/{sid}/breakouts/{rnd['id']}"
        opened = await api.ok("POST", f"{base}/open")
        ext = await api.ok("POST", f"{base}/extend", {"seconds": 300})
        assert ext["ends_at"] > opened["ends_at"]
        await api.ok("POST", f"{base}/close")
        back = await api.ok("POST", f"{base}/cancel-close")
        assert back["status"] == "open"
    types = []
    while "breakout.close_cancelled" not in types:
        types.append((await c.next())["type"])
    assert [t for t in types if t.startswith("breakout.")] == [
        "breakout.opened",
        "breakout.extended",
        "breakout.closing",
        "breakout.close_cancelled",
    ]
    await c.close()


async def test_closed_round_can_be_recreated(server):
    w = await make_world(server)
    sid = w.session["id"]
    m = await ws_connect(server, sid, w.token("mod"))
    await m.next()
    async with Api(server.url, w.token("mod")) as api:
        rnd = await _round(api, sid, countdown_s=0)
        base = f"/api/sessions/{sid}/breakouts"
        await api.ok("POST", f"{base}/{rnd['id']}/open")
        await api.ok("POST", f"{base}/{rnd['id']}/close")
        await m.until(lambda f: f["type"] == "breakout.closed", timeout=5)
        await m.close()
        again = await api.ok("POST", f"{base}/{rnd['id']}/recreate", status=201)
        assert [r["name"] for r in again["rooms"]] == [r["name"] for r in rnd["rooms"]]
        assert sorted(sum((r["members"] for r in again["rooms"]), [])) == sorted(
            sum((r["members"] for r in rnd["rooms"]), [])
        )
        history = await api.ok("GET", base)
        assert [h["status"] for h in history] == ["closed", "planned"]


async def test_a_language_room_no_interpreter_covers_is_named_and_still_opens(server):
    w = await make_world(server)  # an Arabic booth, no Russian interpreter
    sid = w.session["id"]
    m = await ws_connect(server, sid, w.token("mod"))
    await m.next()
    base = f"/api/sessions/{sid}/breakouts"
    async with Api(server.url, w.token("mod")) as api:
        rnd = await api.ok(
            "POST",
            base,
            {
                "rooms": [
                    {"name": "Digital divide", "languages": ["ar"]},
                    {"name": "Digital literacy", "languages": ["ru"]},
                    {"name": "City Lab collaborations"},
                ],
                "strategy": "by_language",
                "countdown_s": 0,
            },
            201,
        )
        ru_room = next(r for r in rnd["rooms"] if r["name"] == "Digital literacy")
        assert rnd["uncovered"] == [
            {"room_id": ru_room["id"], "name": "Digital literacy", "language": "ru"}
        ]
        assert w.id("p1") in ru_room["members"]  # the Russian speaker still goes there
        opened = await api.ok("POST", f"{base}/{rnd['id']}/open")
        assert opened["status"] == "open"
        moved = await m.until(
            lambda f: f["type"] == "room.moved" and f["data"]["person_id"] == w.id("p1")
        )
        assert moved["data"]["to_room"] == ru_room["id"]
        await api.ok("POST", f"{base}/{rnd['id']}/close")
        await m.until(lambda f: f["type"] == "breakout.closed", timeout=5)
        # recreating the round says the same
        again = await api.ok("POST", f"{base}/{rnd['id']}/recreate", status=201)
        ru_again = next(r for r in again["rooms"] if r["name"] == "Digital literacy")
        assert ru_again["id"] != ru_room["id"]
        assert again["uncovered"] == [
            {"room_id": ru_again["id"], "name": "Digital literacy", "language": "ru"}
        ]
        assert (await api.ok("POST", f"{base}/{again['id']}/open"))["status"] == "open"
    await m.close()


async def test_a_close_missed_while_down_fires_at_start_up(tmp_path):
    from tests.support.server import ServerProcess

    env = {"CONVENE_DATABASE_URL": f"sqlite:///{tmp_path}/convene.db"}
    srv = ServerProcess(tmp_path, env).start()
    try:
        w = await make_world(srv)
        sid = w.session["id"]
        m = await ws_connect(srv, sid, w.token("mod"))
        await m.next()
        async with Api(srv.url, w.token("mod")) as api:
            rnd = await _round(api, sid, count=2, duration_s=1, countdown_s=0)
            await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        opened = await m.until(lambda f: f["type"] == "breakout.opened")
        await m.close()
    finally:
        srv.stop()  # down before the round's end
    ends = dt.datetime.fromisoformat(opened["data"]["ends_at"].replace("Z", "+00:00"))
    await asyncio.sleep(max(0.0, (ends - dt.datetime.now(dt.UTC)).total_seconds()) + 1.0)
    srv2 = ServerProcess(tmp_path, env, port=srv.port, admin_token=srv.admin_token).start()
    try:
        m = await ws_connect(srv2, sid, w.token("mod"), resume_from=opened["seq"])
        closing = await m.until(lambda f: f["type"] == "breakout.closing", timeout=8)
        assert closing["data"]["late_s"] >= 1.0
        await m.until(lambda f: f["type"] == "breakout.closed", timeout=8)
        async with Api(srv2.url, w.token("mod")) as api:
            people = await api.ok("GET", f"/api/events/{w.event['id']}/people")
        rooms = {p["room_id"] for p in people if p["role"] == "participant"}
        assert rooms <= {w.session["plenary_room_id"], None}
        await m.close()
    finally:
        srv2.stop()
