"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .auth import Caller, caller_for_token
from .state import AppState, get_state


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def current_caller(request: Request) -> Caller:
    state = get_state(request)
    async with state.db.quick() as tx:
        return await caller_for_token(tx, bearer(request), state.admin_token)


StateDep = Annotated[AppState, Depends(get_state)]
CallerDep = Annotated[Caller, Depends(current_caller)]
