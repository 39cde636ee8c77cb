"""A client-side reducer: applies events to a snapshot, as a client would.

``verify`` tests require: snapshot before + the events a client received == a fresh
snapshot after (Zulip's ``verify_action``)."""

from __future__ import annotations

import copy
from typing import Any

STATE_KEYS = ("session", "event", "you", "rooms", "people", "room", "channel")


def _room(snap: dict, room_id: str | None) -> dict | None:
    return next((r for r in snap["rooms"] if r["id"] == room_id), None)


def _person(snap: dict, pid: str) -> dict | None:
    return next((p for p in snap.get("people", []) if p["id"] == pid), None)


def apply(snap: dict, ev: dict) -> dict:
    s = copy.deepcopy(snap)
    t, d = ev["type"], ev["data"]
    me = s["you"]["person_id"]
    if t == "session.status":
        s["session"]["status"] = d["status"]
    elif t == "session.rescheduled":
        s["session"].update(start=d["start"], end=d["end"], timezone=d["timezone"])
    elif t == "room.moved" and d.get("round_id"):
        person = _person(s, d["person_id"])
        if person is not None:
            person["room_id"] = d["to_room"]
        if d["person_id"] == me:
            s["you"]["room_id"] = d["to_room"]
    elif t == "room.moved":
        pid = d["person_id"]
        person = _person(s, pid)
        online = person["online"] if person else None
        for rid, delta in ((d["from_room"], -1), (d["to_room"], +1)):
            room = _room(s, rid)
            if room is None:
                continue
            room["members_count"] += delta
            if "members" in room:
                if delta > 0:
                    room["members"] = sorted({*room["members"], pid})
                else:
                    room["members"] = [m for m in room["members"] if m != pid]
            if online or (online is None and pid == me):
                room["online_count"] += delta
            elif online is None and "members" in room:
                pass
        if person is not None:
            person["room_id"] = d["to_room"]
        if pid == me:
            s["you"]["room_id"] = d["to_room"]
    elif t in ("presence.joined", "presence.left"):
        pid = d["person_id"]
        person = _person(s, pid)
        joined = t == "presence.joined"
        if person is not None:
            person["online"] = joined
        room = _room(s, d["room_id"])
        if room is not None:
            room["online_count"] += 1 if joined else -1
    elif t == "person.removed":
        s["people"] = [p for p in s.get("people", []) if p["id"] != d["person_id"]]
    elif t == "person.updated":
        person = _person(s, d["person_id"])
        if person is not None:
            person.update(role=d["role"], interprets=list(d["interprets"]))
    elif t == "event.updated":
        s["event"].update({k: v for k, v in d["changes"].items() if k in s["event"]})
        if "interpretation_languages" in d["changes"]:
            for room in s["rooms"]:
                if room["kind"] == "plenary":
                    room["languages"] = list(d["changes"]["interpretation_languages"])
    elif t == "room.counts":
        for rid, n in d["counts"].items():
            room = _room(s, rid)
            if room is not None:
                room["members_count"] = n
    elif t == "breakout.opened":
        for r in d["rooms"]:
            room = {
                **r,
                "floor_language": s["event"]["floor_language"],
                "round_id": d["round_id"],
                "members_count": 0,
                "online_count": 0,
            }
            s["rooms"].append(room)
        _bulk(s, d)
        s["round"] = {
            "id": d["round_id"],
            "status": "open",
            "ends_at": d["ends_at"],
            "closes_at": None,
            "rooms": [{"id": r["id"]} for r in d["rooms"]],
        }
    elif t in ("breakout.extended", "breakout.close_cancelled") and s.get("round"):
        s["round"].update(ends_at=d["ends_at"], status="open", closes_at=None)
    elif t == "breakout.closing" and s.get("round"):
        s["round"].update(status="closing", closes_at=d["closes_at"])
    elif t == "breakout.closed":
        s["rooms"] = [r for r in s["rooms"] if r.get("round_id") != d["round_id"]]
        s["round"] = None
        _bulk(s, d)
    elif t == "help.requested" or (t == "help.received" and "people" not in s):
        room_id = d["room_id"] if t == "help.requested" else s["you"]["room_id"]
        others = [h for h in s.get("help", []) if h["id"] != d["help_id"]]
        s["help"] = [*others, {"id": d["help_id"], "room_id": room_id}]
    elif t == "help.moved":
        for h in s.get("help", []):
            if h["id"] == d["help_id"]:
                h["room_id"] = d["room_id"]
    elif t == "help.resolved":
        s["help"] = [h for h in s.get("help", []) if h["id"] != d["help_id"]]
    elif t == "listening.changed" and d["person_id"] == me:
        s["you"]["listening"] = d["language"]
        s["channel"] = d["language"]
    elif t == "floor.language":  # the channels' view and the room itself
        for room in s["channels"]["rooms"] + s["rooms"]:
            if room.get("room_id", room.get("id")) == d["room_id"]:
                room["floor_language"] = d["language"]
    elif t == "channel.updated":
        rooms = s["channels"]["rooms"]
        room = next((r for r in rooms if r["room_id"] == d["room_id"]), None)
        if room is None:
            room = {
                "room_id": d["room_id"],
                "kind": "breakout",
                "channels": [],
                "floor_language": s["event"]["floor_language"],
            }
            rooms.append(room)
        chans = [c for c in room["channels"] if c["language"] != d["channel"]["language"]]
        if not d.get("removed"):
            chans.append(d["channel"])
        room["channels"] = chans
        if not chans:
            rooms.remove(room)
    if t == "room.moved" and d["person_id"] == me and "people" not in s:
        _hold_channels_of(s, d)
    s["room"] = _room(s, s["you"]["room_id"])
    return s


def _hold_channels_of(s: dict, d: dict) -> None:
    """A participant holds the plenary's channels and their own room's: a move drops
    the room they left and takes the new room's from the move itself."""
    if "channels" not in s:
        return
    to = d["to_room"]
    rooms = [r for r in s["channels"]["rooms"] if r["kind"] == "plenary" or r["room_id"] == to]
    if d.get("channels") is not None:
        target = _room(s, to) or {}
        rooms = [r for r in rooms if r["room_id"] != to]
        rooms.append(
            {
                "room_id": to,
                "kind": "breakout",
                "floor_language": target.get("floor_language", s["event"]["floor_language"]),
                "channels": d["channels"],
            }
        )
    s["channels"]["rooms"] = rooms


def _bulk(s: dict, d: dict) -> None:
    """Counts of every room and members of one's own room (all rooms for staff)."""
    members = d.get("members") or d.get("room_members") or {}
    for room in s["rooms"]:
        if room["id"] in d.get("counts", {}):
            room["members_count"] = d["counts"][room["id"]]
        if room["id"] in members:
            room["members"] = sorted(members[room["id"]])
        elif "people" in s:
            room["members"] = []
    if "people" in s:
        online = {p["id"] for p in s["people"] if p["online"]}
        for room in s["rooms"]:
            if "members" in room:
                room["online_count"] = len(online & set(room["members"]))


def project(snap: dict) -> dict[str, Any]:
    """What a client can keep right from events alone (listener counts travel
    coalesced, so they are left out; participants see other rooms' counts only)."""
    out = state(snap)
    staff = out["people"] is not None
    for room in out["rooms"]:
        if not staff:
            room.pop("members", None)
            room.pop("online_count", None)
    out["rooms"] = sorted(out["rooms"], key=lambda r: r["id"])
    if out["room"] is not None and not staff:
        out["room"].pop("members", None)
        out["room"].pop("online_count", None)
    rnd = snap.get("round")
    out["round"] = rnd and {
        "id": rnd["id"],
        "status": rnd["status"],
        "ends_at": rnd["ends_at"],
        "closes_at": rnd["closes_at"],
        "rooms": sorted(r["id"] for r in rnd["rooms"]),
    }
    out["help"] = sorted((h["id"], h["room_id"]) for h in snap.get("help", []))
    out["channels"] = sorted(
        (
            room["room_id"],
            room["floor_language"],
            c["language"],
            c["on_air"],
            repr(c["source"]),
            repr(c["booth"]),
        )
        for room in snap["channels"]["rooms"]
        for c in room["channels"]
    )
    return out


def state(snap: dict) -> dict[str, Any]:
    out = {k: copy.deepcopy(snap.get(k)) for k in STATE_KEYS}
    out["session"].pop("seq", None)
    if out["people"] is not None:
        out["people"] = sorted(out["people"], key=lambda p: p["id"])
    return out


class View:
    """One client's state as it builds it: its snapshot plus every frame it received,
    applied in order up to a seq. Frames past that seq stay pending for the next
    ``catch_up`` (an event stored after a fresh probe's snapshot, e.g. a departure the
    server handles after the client closed, must not be lost between two checks)."""

    def __init__(self, ws, snapshot: dict):
        self.ws, self.state = ws, snapshot["data"]
        self.seq = snapshot["seq"]
        self._read = len(ws.frames)  # frames up to here are applied (or were the snapshot)

    def catch_up(self, upto: int) -> dict:
        frames = self.ws.frames
        while self._read < len(frames) and frames[self._read]["seq"] <= upto:
            frame = frames[self._read]
            if frame["seq"] > self.seq:
                self.state = apply(self.state, frame)
                self.seq = frame["seq"]
            self._read += 1
        return self.state
