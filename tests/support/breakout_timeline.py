"""Checks over what one WebSocket client saw during a breakout round: its state after
every seq, rebuilt with the reducer, and what staff and members must see at each step."""

from __future__ import annotations

from tests.support import reducer


def bulk_move(f: dict | None) -> bool:
    """A move that is part of a round opening or closing (its counts and member lists
    travel with the ``breakout.opened``/``breakout.closed`` frame)."""
    return f is not None and f["type"] == "room.moved" and bool(f["data"].get("round_id"))


def timeline(ws, check=None) -> list[tuple[int, dict]]:
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


def as_of(timeline: list[tuple[int, dict]], seq: int) -> dict:
    return [state for s, state in timeline if s <= seq][-1]


def staff_check(plenary: str, round_rooms: set[str], closed_seq: int):
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
            or bulk_move(nxt)
            or (bulk_move(f) and (nxt is None or nxt["type"] == "breakout.closed"))
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


def member_check(state: dict, f: dict, nxt: dict | None) -> None:
    """A participant's (or interpreter's) own view: always in exactly one room it knows."""
    assert state["room"] is not None and state["room"]["id"] == state["you"]["room_id"], f


def views_agree(mod: dict, members: dict[str, dict]) -> None:
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


def staff_projection(state: dict) -> dict:
    view = reducer.project(state)
    for key in ("you", "room", "channel"):
        view.pop(key)
    return view
