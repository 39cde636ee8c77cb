"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .auth import Caller, rest_caller
from .state import AppState, get_state


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def state(request: Request) -> AppState:
    """``get_state`` as a dependency: ``async``, because FastAPI runs a plain ``def``
    dependency in its thread pool, a thread hop on every request."""
    return request.app.state.convene


async def current_caller(request: Request) -> Caller:
    state = get_state(request)
    return await rest_caller(state.db.autocommit, bearer(request), state.admin_token)


StateDep = Annotated[AppState, Depends(state)]
CallerDep = Annotated[Caller, Depends(current_caller)]
