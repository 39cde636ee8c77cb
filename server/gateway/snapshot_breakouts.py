"""The breakout part of the snapshot: the active round (with ``ends_at``), planned
rounds for moderators, and open help requests (moderators: all; others: their own).
A participant's part costs a few small queries, whatever the size of the session."""

from __future__ import annotations

from sqlmodel import select

from ..models import BreakoutRound, Room
from ..services import breakouts as bsvc
from ..services import help as help_svc
from .snapshot import shared_read


async def _active_round(tx, s):
    row = (
        await tx.exec(
            select(BreakoutRound).where(
                BreakoutRound.session_id == s.id,
                BreakoutRound.status.in_(["open", "closing"]),
            )
        )
    ).first()
    if row is None:
        return None
    rooms = (await tx.exec(select(Room).where(Room.round_id == row.id))).all()
    return bsvc.to_domain(row, rooms)


async def breakout_part(tx, s, event, caller, data, memo) -> None:
    if caller.is_staff:
        st = await bsvc.load(tx, s, people=False)
        active = st.active
        data["round"] = bsvc.view(st, active, staff=True) if active else None
        data["planned_rounds"] = [
            bsvc.view(st, r, staff=True) for r in st.rounds.values() if r.status == "planned"
        ]
        requests = await help_svc.open_requests(tx, s.id)
    else:
        active = await shared_read(memo, "round", lambda: _active_round(tx, s))
        data["round"] = (
            bsvc.participant_view(active, data["you"]["room_id"]) if active is not None else None
        )
        # every change to a request stores an event, so one read per seq serves all
        open_ = await shared_read(memo, "help", lambda: help_svc.open_requests(tx, s.id))
        requests = [h for h in open_ if h.person_id == caller.person_id]
    data["help"] = [help_svc.public(h) for h in requests]
