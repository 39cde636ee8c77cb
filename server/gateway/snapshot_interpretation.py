"""The interpretation part of the snapshot: the rooms' channels and sources, read
from the view stored with the state (no parse of the whole state per connection).
Staff get every room's; anyone else the plenary's and their own room's."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from interpretation.hearing import heard_language

from ..jsonish import utc_json
from ..models import InterpretationState
from ..services import interpretation_state as svc
from .snapshot import shared_read


async def channels_part(tx, s, event, caller, data, memo) -> None:
    view = await shared_read(memo, "channels", lambda: _channels(tx, s))
    if not caller.is_staff:  # the plenary's channels and their own room's (channel_audience)
        mine = (data.get("you") or {}).get("room_id")
        rooms = [r for r in view.get("rooms", []) if r["kind"] == "plenary" or r["room_id"] == mine]
        view = {**view, "rooms": rooms}
    data["channels"] = view
    _heard_here(data, event)


async def _channels(tx, s) -> dict[str, Any]:
    # the view column only: the state beside it holds every person (megabytes at 5,000)
    view = (
        await tx.exec(
            select(InterpretationState.view).where(InterpretationState.session_id == s.id)
        )
    ).first()
    if view:
        return view
    lo = await svc.load(tx, s)  # the first connection of a session: build it in memory
    return utc_json(svc.ip.channels_view(lo.state))


def _heard_here(data: dict[str, Any], event) -> None:
    """``you.listening`` (and ``channel``) is the channel the caller hears: the
    language they asked for (kept in their placement when they move) where their
    room has that channel, else the event floor language (``interpretation.hearing``,
    the rule the listener counts follow)."""
    you = data.get("you") or {}
    room_id, chosen = you.get("room_id"), you.get("listening")
    if chosen is None:
        return
    if room_id is None:
        here = {event.floor_language, *event.interpretation_languages}
    else:
        room = next((r for r in data["channels"].get("rooms", []) if r["room_id"] == room_id), None)
        here = {c["language"] for c in room["channels"]} if room is not None else {chosen}
    you["listening"] = data["channel"] = heard_language(chosen, here, event.floor_language)
