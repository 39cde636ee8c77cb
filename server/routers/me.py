"""GET /api/me: who the caller's token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import CallerDep, StateDep
from ..responses import Me
from ..services import me as svc

router = APIRouter(tags=["people"])


@router.get("/api/me", response_model=Me)
async def get_me(caller: CallerDep, state: StateDep):
    return await svc.describe_me(state, caller)
