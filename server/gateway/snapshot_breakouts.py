"""The breakout part of the snapshot: the active round (with ``ends_at``), planned
rounds for moderators, and open help requests (moderators: all; others: their own)."""

from __future__ import annotations

from ..services import breakouts as bsvc
from ..services import help as help_svc
from .extensions import snapshot_part


@snapshot_part
async def breakout_part(tx, s, event, caller, data) -> None:
    st = await bsvc.load(tx, s)
    active = st.active
    data["round"] = (
        bsvc.view(st, active, staff=caller.is_staff, viewer=caller.person_id) if active else None
    )
    if caller.is_staff:
        data["planned_rounds"] = [
            bsvc.view(st, r, staff=True) for r in st.rounds.values() if r.status == "planned"
        ]
    requests = await help_svc.open_requests(tx, s.id)
    if not caller.is_staff:
        requests = [h for h in requests if h.person_id == caller.person_id]
    data["help"] = [help_svc.public(h) for h in requests]
