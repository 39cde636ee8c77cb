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


def _online(snap: dict, pid: str) -> bool | None:
    p = _person(snap, pid)
    return None if p is None else p["online"]


def apply(snap: dict, ev: dict) -> dict:
    s = copy.deepcopy(snap)
    t, d = ev["type"], ev["data"]
    me = s["you"]["person_id"]
    if t == "session.status":
        s["session"]["status"] = d["status"]
    elif t == "session.rescheduled":
        s["session"].update(start=d["start"], end=d["end"], timezone=d["timezone"])
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
    elif t == "event.updated":
        s["event"].update({k: v for k, v in d["changes"].items() if k in s["event"]})
        if "interpretation_languages" in d["changes"]:
            for room in s["rooms"]:
                if room["kind"] == "plenary":
                    room["languages"] = list(d["changes"]["interpretation_languages"])
    s["room"] = _room(s, s["you"]["room_id"])
    return s


def state(snap: dict) -> dict[str, Any]:
    out = {k: copy.deepcopy(snap.get(k)) for k in STATE_KEYS}
    out["session"].pop("seq", None)
    if out["people"] is not None:
        out["people"] = sorted(out["people"], key=lambda p: p["id"])
    return out
