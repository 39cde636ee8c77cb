"""Counting people into rooms: the one balancing rule every strategy shares.

"Least filled room with space, ties to the room listed first" keeps sizes
within one of each other and makes every run, test and replay agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .model import RoomSpec


class RoomFill:
    """Running head counts per room, respecting each room's capacity."""

    def __init__(self, rooms: Iterable[RoomSpec], counts: Mapping[str, int] | None = None):
        self.rooms = tuple(rooms)
        self.counts = {room.id: 0 for room in self.rooms}
        for room_id, count in (counts or {}).items():
            if room_id in self.counts:
                self.counts[room_id] = count

    def has_space(self, room: RoomSpec) -> bool:
        return room.capacity is None or self.counts[room.id] < room.capacity

    def pick(self, candidates: Iterable[RoomSpec] | None = None) -> RoomSpec | None:
        """The least filled candidate with space (first listed on a tie), or None."""
        pool = self.rooms if candidates is None else tuple(candidates)
        best: RoomSpec | None = None
        for room in pool:
            if not self.has_space(room):
                continue
            if best is None or self.counts[room.id] < self.counts[best.id]:
                best = room
        return best

    def put(self, room: RoomSpec) -> None:
        self.counts[room.id] += 1
