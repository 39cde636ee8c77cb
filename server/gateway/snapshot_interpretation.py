"""The interpretation part of the snapshot: every room's channels and sources."""

from __future__ import annotations

from ..services import interpretation as svc
from .extensions import snapshot_part


@snapshot_part
async def channels_part(tx, s, event, caller, data) -> None:
    lo = await svc.load(tx, s)
    view = svc.ip.channels_view(lo.state)
    data["channels"] = svc.utc_json(view)
    me = lo.state.members.get(caller.person_id) if caller.person_id else None
    if me is not None and me.listening:
        data["channel"] = me.listening
        data["you"]["listening"] = me.listening
