"""A JSON-ready form of the state, so the server can store it in one column.

Instants are ISO 8601 strings in UTC; ``from_dict(to_dict(s)) == s``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from .languages import Direction, Interpreter
from .sources import Source
from .state import (
    Channel,
    ChannelKey,
    HandoverRequest,
    ListenerSample,
    Live,
    Member,
    OnAirSegment,
    PendingDropout,
    ResolvedHandover,
    Room,
    SessionInterpretation,
    Settings,
)

VERSION = 1


# Both directions cached (bounded): a state's listener samples and on-air history
# repeat a few instants (an opening samples 100 rooms at one), and every command
# reads and writes the whole state.
@lru_cache(maxsize=4096)
def _t(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=4096)
def _p(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def to_dict(state: SessionInterpretation) -> dict[str, Any]:
    return {
        "version": VERSION,
        "plenary_id": state.plenary_id,
        "floor_language": state.floor_language,
        "languages": list(state.languages),
        "rooms": [
            {
                "room_id": r.room_id,
                "kind": r.kind,
                "floor_language": r.floor_language,
                "carries": list(r.carries),
            }
            for r in state.rooms.values()
        ],
        "channels": [
            {
                "room_id": c.room_id,
                "language": c.language,
                "live": None
                if c.live is None
                else {
                    "person_id": c.live.person_id,
                    "since": _t(c.live.since),
                    "turn_since": _t(c.live.turn_since),
                    "turns_due": c.live.turns_due,
                },
                "source": c.source.public() if c.source else None,
            }
            for c in state.channels.values()
        ],
        "interpreters": [
            {"person_id": i.person_id, "interprets": [str(d) for d in i.directions]}
            for i in state.interpreters.values()
        ],
        "members": [
            {
                "person_id": m.person_id,
                "room_id": m.room_id,
                "online": m.online,
                "listening": m.listening,
                "chosen": m.chosen,
            }
            for m in state.members.values()
        ],
        "handovers": [
            {
                "request_id": h.request_id,
                "room_id": h.room_id,
                "language": h.language,
                "from": h.from_id,
                "to": h.to_id,
                "requested_at": _t(h.requested_at),
                "expires_at": _t(h.expires_at),
                "reason": h.reason,
            }
            for h in state.handovers.values()
        ],
        "resolved": [
            {
                "room_id": k.room_id,
                "language": k.language,
                "request_id": r.request_id,
                "to": r.to_id,
                "outcome": r.outcome,
                "at": _t(r.at),
            }
            for k, r in state.resolved.items()
        ],
        "dropouts": [
            {
                "person_id": d.person_id,
                "room_id": d.room_id,
                "language": d.language,
                "due": _t(d.due),
            }
            for d in state.dropouts.values()
        ],
        "segments": [
            {
                "person_id": s.person_id,
                "room_id": s.room_id,
                "language": s.language,
                "start": _t(s.start),
                "end": _t(s.end),
            }
            for s in state.segments
        ],
        "samples": [
            {"at": _t(s.at), "room_id": s.room_id, "language": s.language, "listeners": s.listeners}
            for s in state.samples
        ],
        "handover_count": state.handover_count,
        "settings": {
            "handover_timeout_s": state.settings.handover_timeout_s,
            "dropout_grace_s": state.settings.dropout_grace_s,
            "turn_s": state.settings.turn_s,
        },
    }


def from_dict(data: dict[str, Any]) -> SessionInterpretation:
    def channel(c: dict[str, Any]) -> Channel:
        live = c["live"]
        source = c["source"]
        return Channel(
            c["room_id"],
            c["language"],
            None
            if live is None
            else Live(
                live["person_id"], _p(live["since"]), _p(live["turn_since"]), live["turns_due"]
            ),
            None if source is None else Source(source["kind"], source["language"]),
        )

    channels = [channel(c) for c in data["channels"]]
    handovers = [
        HandoverRequest(
            h["request_id"],
            h["room_id"],
            h["language"],
            h["from"],
            h["to"],
            _p(h["requested_at"]),
            _p(h["expires_at"]),
            h["reason"],
        )
        for h in data["handovers"]
    ]
    return SessionInterpretation(
        plenary_id=data["plenary_id"],
        floor_language=data["floor_language"],
        languages=tuple(data["languages"]),
        rooms={
            r["room_id"]: Room(r["room_id"], r["kind"], r["floor_language"], tuple(r["carries"]))
            for r in data["rooms"]
        },
        channels={c.key: c for c in channels},
        interpreters={
            i["person_id"]: Interpreter(
                i["person_id"], tuple(Direction.parse(d) for d in i["interprets"])
            )
            for i in data["interpreters"]
        },
        members={
            m["person_id"]: Member(
                m["person_id"],
                m["room_id"],
                m["online"],
                m["listening"],
                # states stored before ``chosen`` existed: what they heard was their choice
                m.get("chosen", m["listening"]),
            )
            for m in data["members"]
        },
        handovers={h.key: h for h in handovers},
        resolved={
            ChannelKey(r["room_id"], r["language"]): ResolvedHandover(
                r["request_id"], r["to"], r["outcome"], _p(r["at"])
            )
            for r in data["resolved"]
        },
        dropouts={
            d["person_id"]: PendingDropout(
                d["person_id"], d["room_id"], d["language"], _p(d["due"])
            )
            for d in data["dropouts"]
        },
        segments=tuple(
            OnAirSegment(s["person_id"], s["room_id"], s["language"], _p(s["start"]), _p(s["end"]))
            for s in data["segments"]
        ),
        samples=tuple(
            ListenerSample(_p(s["at"]), s["room_id"], s["language"], s["listeners"])
            for s in data["samples"]
        ),
        handover_count=data["handover_count"],
        settings=Settings(**data["settings"]),
    )
