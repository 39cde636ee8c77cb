"""The speaker queue and chat, wired into an app in one call (``install``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from .routers import chat, speakers


def install(app: FastAPI) -> None:
    """Routes now; at start-up (after the features the queue follows: moves,
    booths, floor), the queue's follower and its snapshot part."""
    app.include_router(speakers.router)
    app.include_router(chat.router)
    app.state.starters.append(_start)


async def _start(state: Any) -> list:
    from . import commands
    from .gateway import extensions
    from .gateway.snapshot_speakers import hands_part
    from .services import speakers as svc

    if svc.follow not in commands.FOLLOWERS:
        commands.FOLLOWERS.append(svc.follow)
    if hands_part not in extensions.SNAPSHOT:
        extensions.SNAPSHOT.append(hands_part)
    return []
