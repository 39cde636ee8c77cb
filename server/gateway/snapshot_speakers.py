"""The speaker-queue part of the snapshot: ``hands``, the caller's room's queue in
order (staff: every room's)."""

from __future__ import annotations

from ..services import speakers as svc
from .snapshot import shared_read


async def hands_part(tx, s, event, caller, data, memo) -> None:
    hands = await shared_read(memo, "hands", lambda: _all(tx, s))
    if not caller.is_staff:
        mine = (data.get("you") or {}).get("room_id")
        hands = [h for h in hands if h["room_id"] == mine]
    data["hands"] = hands


async def _all(tx, s) -> list[dict]:
    return [svc.public(h) for h in await svc.up_hands(tx, s.id)]
