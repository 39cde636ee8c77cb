"""Going on and off air on a channel."""

from __future__ import annotations

from datetime import datetime

from . import _lookup
from .errors import conflict, forbidden
from .outcome import Outcome
from .state import SessionInterpretation
from .transition import Draft, finish


def go_on_air(
    state: SessionInterpretation, person_id: str, room_id: str, language: str, now: datetime
) -> Outcome:
    """An interpreter goes live on ``language`` in the room they are in.

    Refused (409) while a partner is live there: partners switch with a
    handover, so a channel never has two live interpreters. An interpreter live
    on another channel must go off air there first (409): we never move them
    implicitly, so nobody's listeners lose a voice by surprise. Going on air
    again on one's own channel changes nothing.
    """
    channel = _lookup.channel(state, room_id, language)
    interpreter = _lookup.interpreter(state, person_id)
    if not interpreter.works_into(language):
        directions = ", ".join(map(str, interpreter.directions))
        raise forbidden(
            f"you interpret {directions}; none of these goes into {language!r}, "
            "so you cannot go on air on that channel."
        )
    _lookup.in_room(state, person_id, room_id)
    if channel.on_air == person_id:
        return Outcome(state, [])
    if language == state.rooms[room_id].floor_language:
        raise conflict(
            f"{language!r} is spoken on the floor of this room: its channel carries the floor "
            "itself and needs no interpreter; go on air on your retour channel."
        )
    if channel.on_air is not None:
        raise conflict(
            f"{channel.on_air} is live on the {language!r} channel; ask them to hand over "
            f"(POST .../channels/{language}/handover) instead of going on air."
        )
    elsewhere = state.live_channel_of(person_id)
    if elsewhere is not None:
        raise conflict(
            f"you are live on the {elsewhere.language!r} channel of room {elsewhere.room_id}; "
            "go off air there first: an interpreter is never live on two channels."
        )
    draft = Draft(state, now)
    draft.go_live(channel.key, person_id)
    return finish(draft, uncovered_reason="on_air")


def go_off_air(
    state: SessionInterpretation, person_id: str, room_id: str, language: str, now: datetime
) -> Outcome:
    """The live interpreter stops. Allowed even when they are the last voice of a
    listened channel, but then the moderators get ``channel.uncovered``."""
    channel = _lookup.channel(state, room_id, language)
    _lookup.interpreter(state, person_id)
    if channel.on_air is None:
        raise conflict(f"nobody is on air on the {language!r} channel of room {room_id}.")
    if channel.on_air != person_id:
        raise forbidden(
            f"{channel.on_air} is live on the {language!r} channel; only they can go off air."
        )
    draft = Draft(state, now)
    draft.go_off(channel.key)
    return finish(draft, uncovered_reason="off_air")
