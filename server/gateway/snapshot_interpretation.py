"""The interpretation part of the snapshot: every room's channels and sources, read
from the view stored with the state (no parse of the whole state per connection)."""

from __future__ import annotations

from ..models import InterpretationState
from ..services import interpretation as svc
from .extensions import snapshot_part


@snapshot_part
async def channels_part(tx, s, event, caller, data) -> None:
    row = await tx.get(InterpretationState, s.id)
    if row is not None and row.view:
        data["channels"] = row.view
    else:  # the first connection of a session: build it in memory
        lo = await svc.load(tx, s)
        data["channels"] = svc.utc_json(svc.ip.channels_view(lo.state))
