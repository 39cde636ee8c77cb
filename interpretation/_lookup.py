"""Validation shared by the commands: each raises the fitting domain error."""

from __future__ import annotations

from .errors import conflict, forbidden, not_found
from .languages import Interpreter
from .state import Channel, ChannelKey, Member, SessionInterpretation


def member(state: SessionInterpretation, person_id: str) -> Member:
    found = state.members.get(person_id)
    if found is None:
        raise not_found(f"person {person_id} is not part of this session.")
    return found


def interpreter(state: SessionInterpretation, person_id: str) -> Interpreter:
    member(state, person_id)
    found = state.interpreters.get(person_id)
    if found is None:
        raise forbidden(f"person {person_id} is not an interpreter; only interpreters go on air.")
    return found


def room_exists(state: SessionInterpretation, room_id: str) -> None:
    if room_id not in state.rooms:
        raise not_found(f"room {room_id} is not a room of this session.")


def channel(state: SessionInterpretation, room_id: str, language: str) -> Channel:
    """A channel named in a path: unknown room or language is 404."""
    room_exists(state, room_id)
    found = state.channels.get(ChannelKey(room_id, language))
    if found is None:
        langs = ", ".join(state.room_languages(room_id))
        raise not_found(f"room {room_id} has no {language!r} channel; its channels are {langs}.")
    return found


def in_room(state: SessionInterpretation, person_id: str, room_id: str) -> None:
    where = member(state, person_id).room_id
    if where != room_id:
        place = "no room yet" if where is None else f"room {where}"
        raise conflict(
            f"person {person_id} is in {place}, not in room {room_id}; "
            "on air is per room: join that room first."
        )
