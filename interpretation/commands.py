"""Commands as values, and ``apply``: the one entry point the server can use.

Each command names one transition; ``apply(state, command, now)`` runs it and
returns ``(new_state, events)`` (``set_floor`` adds ``uncovered``). A rejected
command raises ``InterpretationError`` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .accounting import turn_due
from .channels import (
    add_language,
    close_room,
    close_rooms,
    drop_language,
    open_room,
    open_rooms,
    set_languages,
)
from .floor import set_floor
from .handover import accept_handover, expire_handover, request_handover
from .listening import set_listening
from .on_air import go_off_air, go_on_air
from .outcome import FloorOutcome, Outcome
from .presence import add_person, connection_changed, dropout_due, move_people, move_person
from .state import SessionInterpretation


@dataclass(frozen=True)
class GoOnAir:
    person_id: str
    room_id: str
    language: str


@dataclass(frozen=True)
class GoOffAir:
    person_id: str
    room_id: str
    language: str


@dataclass(frozen=True)
class RequestHandover:
    person_id: str
    to_id: str
    room_id: str
    language: str
    timeout_s: float | None = None


@dataclass(frozen=True)
class AcceptHandover:
    person_id: str
    room_id: str
    language: str


@dataclass(frozen=True)
class ExpireHandover:
    """Timer: the request ``request_id`` of that channel is due to expire."""

    room_id: str
    language: str
    request_id: str


@dataclass(frozen=True)
class SetFloor:
    room_id: str
    language: str


@dataclass(frozen=True)
class SetListening:
    person_id: str
    language: str


@dataclass(frozen=True)
class AddPerson:
    person_id: str
    interprets: tuple[str, ...] = ()
    listening: str | None = None


@dataclass(frozen=True)
class MovePerson:
    person_id: str
    room_id: str


@dataclass(frozen=True)
class MovePeople:
    """Many moves at once (``person_id -> room_id``), settled in one step."""

    moves: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ConnectionChanged:
    person_id: str
    online: bool


@dataclass(frozen=True)
class DropoutDue:
    """Timer: the dropout grace of ``person_id`` that was due at ``due`` is over."""

    person_id: str
    due: datetime


@dataclass(frozen=True)
class SetLanguages:
    languages: tuple[str, ...]


@dataclass(frozen=True)
class AddLanguage:
    language: str


@dataclass(frozen=True)
class DropLanguage:
    language: str


@dataclass(frozen=True)
class OpenRoom:
    room_id: str
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class CloseRoom:
    room_id: str


@dataclass(frozen=True)
class OpenRooms:
    """A round's rooms at once: ``((room_id, languages), ...)``."""

    rooms: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class CloseRooms:
    room_ids: tuple[str, ...]


@dataclass(frozen=True)
class TurnCheck:
    """Timer: send ``turn.due`` to live interpreters past their turn."""

    turn_s: float | None = None


Command = (
    GoOnAir
    | GoOffAir
    | RequestHandover
    | AcceptHandover
    | ExpireHandover
    | SetFloor
    | SetListening
    | AddPerson
    | MovePerson
    | MovePeople
    | ConnectionChanged
    | DropoutDue
    | SetLanguages
    | AddLanguage
    | DropLanguage
    | OpenRoom
    | CloseRoom
    | OpenRooms
    | CloseRooms
    | TurnCheck
)

_Handler = Callable[[SessionInterpretation, Any, datetime], Outcome | FloorOutcome]

TRANSITIONS: dict[type, _Handler] = {
    GoOnAir: lambda s, c, now: go_on_air(s, c.person_id, c.room_id, c.language, now),
    GoOffAir: lambda s, c, now: go_off_air(s, c.person_id, c.room_id, c.language, now),
    RequestHandover: lambda s, c, now: request_handover(
        s, c.person_id, c.to_id, c.room_id, c.language, now, c.timeout_s
    ),
    AcceptHandover: lambda s, c, now: accept_handover(s, c.person_id, c.room_id, c.language, now),
    ExpireHandover: lambda s, c, now: expire_handover(s, c.room_id, c.language, c.request_id, now),
    SetFloor: lambda s, c, now: set_floor(s, c.room_id, c.language, now),
    SetListening: lambda s, c, now: set_listening(s, c.person_id, c.language, now),
    AddPerson: lambda s, c, now: add_person(
        s, c.person_id, now, interprets=c.interprets, listening=c.listening
    ),
    MovePerson: lambda s, c, now: move_person(s, c.person_id, c.room_id, now),
    MovePeople: lambda s, c, now: move_people(s, dict(c.moves), now),
    ConnectionChanged: lambda s, c, now: connection_changed(s, c.person_id, c.online, now),
    DropoutDue: lambda s, c, now: dropout_due(s, c.person_id, c.due, now),
    SetLanguages: lambda s, c, now: set_languages(s, c.languages, now),
    AddLanguage: lambda s, c, now: add_language(s, c.language, now),
    DropLanguage: lambda s, c, now: drop_language(s, c.language, now),
    OpenRoom: lambda s, c, now: open_room(s, c.room_id, c.languages, now),
    CloseRoom: lambda s, c, now: close_room(s, c.room_id, now),
    OpenRooms: lambda s, c, now: open_rooms(s, c.rooms, now),
    CloseRooms: lambda s, c, now: close_rooms(s, c.room_ids, now),
    TurnCheck: lambda s, c, now: turn_due(s, now, c.turn_s),
}


def apply(state: SessionInterpretation, command: Command, now: datetime) -> Outcome | FloorOutcome:
    """Run ``command`` at ``now`` (an aware UTC datetime)."""
    return TRANSITIONS[type(command)](state, command, now)
