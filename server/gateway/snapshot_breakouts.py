"""The breakout part of the snapshot: the active round (with ``ends_at``), planned
rounds for moderators, and open help requests (moderators: all; others: their own).
A participant's part costs a few small queries, whatever the size of the session."""

from __future__ import annotations

from sqlmodel import select

from ..models import BreakoutRound, HelpRequest, Room
from ..services import breakouts as bsvc
from ..services import help as help_svc
from .extensions import snapshot_part


@snapshot_part
async def breakout_part(tx, s, event, caller, data) -> None:
    if caller.is_staff:
        st = await bsvc.load(tx, s)
        active = st.active
        data["round"] = bsvc.view(st, active, staff=True) if active else None
        data["planned_rounds"] = [
            bsvc.view(st, r, staff=True) for r in st.rounds.values() if r.status == "planned"
        ]
        requests = await help_svc.open_requests(tx, s.id)
    else:
        row = (
            await tx.exec(
                select(BreakoutRound).where(
                    BreakoutRound.session_id == s.id,
                    BreakoutRound.status.in_(["open", "closing"]),
                )
            )
        ).first()
        data["round"] = None
        if row is not None:
            rooms = (await tx.exec(select(Room).where(Room.round_id == row.id))).all()
            data["round"] = bsvc.participant_view(
                bsvc.to_domain(row, rooms), data["you"]["room_id"]
            )
        requests = (
            await tx.exec(
                select(HelpRequest).where(
                    HelpRequest.session_id == s.id,
                    HelpRequest.person_id == caller.person_id,
                    HelpRequest.resolved_at.is_(None),
                )
            )
        ).all()
    data["help"] = [help_svc.public(h) for h in requests]
