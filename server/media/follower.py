"""The state a bridge keeps from an observer's WebSocket: its snapshot, then events
(docs/media-server.md, section 3). Pure: frames in, ``media_state()`` out."""

from __future__ import annotations

from typing import Any

from .topology import MediaState, state_from_views


class Follower:
    def __init__(self) -> None:
        self.seq: int | None = None
        self.event_id: str | None = None
        self.status: str | None = None
        self.default_language = "en"
        self.people: dict[str, dict[str, Any]] = {}  # id -> {id, role, room_id}
        self.rooms: dict[str, dict[str, Any]] = {}  # room id -> {floor_language, channels}
        self.speakers: dict[str, str] = {}  # room id -> the latest called speaker
        self.unknown: set[str] = set()  # moved people the snapshot did not list
        self.last_at: str | None = None  # ``at`` of the latest event applied

    def load(self, frame: dict[str, Any]) -> None:
        data = frame["data"]
        self.seq = frame["seq"]
        self.event_id = data["event"]["id"]
        self.default_language = data["event"]["floor_language"]
        self.status = data["session"]["status"]
        self.people = {
            p["id"]: {"id": p["id"], "role": p["role"], "room_id": p.get("room_id")}
            for p in data.get("people", [])
        }
        self.rooms = {
            r["room_id"]: {
                "room_id": r["room_id"],
                "floor_language": r["floor_language"],
                "channels": {c["language"]: c for c in r["channels"]},
            }
            for r in data["channels"]["rooms"]
        }
        self.speakers = {}
        self.unknown = set()

    def apply(self, ev: dict[str, Any]) -> None:
        t, d = ev["type"], ev.get("data") or {}
        if t == "session.status":
            self.status = d["status"]
        elif t == "room.moved":
            person = self.people.get(d["person_id"])
            if person is None:
                self.unknown.add(d["person_id"])
                person = self.people[d["person_id"]] = {"id": d["person_id"], "role": "unknown"}
            person["room_id"] = d["to_room"]
        elif t == "person.removed":
            self.people.pop(d.get("person_id"), None)
        elif t == "floor.language":
            room = self.rooms.get(d["room_id"])
            if room is not None:
                room["floor_language"] = d["language"]
        elif t == "channel.updated":
            ch = d["channel"]
            room = self.rooms.setdefault(
                d["room_id"],
                {"room_id": d["room_id"], "floor_language": self.default_language, "channels": {}},
            )
            if d.get("removed"):
                room["channels"].pop(ch["language"], None)
                if not room["channels"]:
                    del self.rooms[d["room_id"]]
            else:
                room["channels"][ch["language"]] = ch
        elif t == "speaker.called":
            self.speakers[d["room_id"]] = d["person_id"]
        self.seq = ev["seq"]
        self.last_at = ev.get("at")

    def learn(self, person: dict[str, Any]) -> None:
        """A person fetched by REST after a move named someone the snapshot lacked."""
        known = self.people.setdefault(person["id"], {"id": person["id"]})
        known["role"] = person["role"]
        self.unknown.discard(person["id"])

    def media_state(self) -> MediaState:
        routed = self.status in ("lobby", "live")
        rooms = (
            [{**r, "channels": list(r["channels"].values())} for r in self.rooms.values()]
            if routed
            else []
        )
        people = [p for p in self.people.values() if p.get("role") not in (None, "unknown")]
        return state_from_views(rooms, people, self.default_language, self.speakers)
