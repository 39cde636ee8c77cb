"""Read models: a round as the public contract shows it, built from state.

Kept beside the domain so REST responses and WebSocket snapshots use the same
rule: while a round is open its rooms list who is in them now; otherwise
they list who is planned. Filtering per viewer (participants see only their
own room) is the server's job.
"""

from __future__ import annotations

from .model import Placement, Round


def round_view(round_: Round, placement: Placement | None = None) -> dict:
    """``{id, status, strategy, rooms: [{id, name, kind, languages, capacity, members}],
    ends_at, closes_at, unplaced}`` with instants as aware datetimes."""
    if round_.is_active and placement is not None:
        members_of = placement.by_room()
    else:
        members_of = {room.id: round_.planned_members(room.id) for room in round_.rooms}
    return {
        "id": round_.id,
        "status": round_.status.value,
        "strategy": round_.strategy.value,
        "rooms": [
            {**room.public(), "members": list(members_of.get(room.id, ()))} for room in round_.rooms
        ],
        "duration_s": round_.duration_s,
        "countdown_s": round_.countdown_s,
        "allow_return": round_.allow_return,
        "opened_at": round_.opened_at,
        "ends_at": round_.ends_at,
        "closes_at": round_.closes_at,
        "closed_at": round_.closed_at,
        "unplaced": [item.public() for item in round_.unplaced],
    }
