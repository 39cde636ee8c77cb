"""Which channels exist: the session, its rooms, and the event's languages.

The plenary has a channel per event language (the floor language too: it
carries the retour when another language is on the floor); a breakout room has
the event floor language plus each event language it carries. Channels follow
from rooms and languages, so adding or dropping a language, or opening or
closing a room, makes channels appear or go away everywhere at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from . import _lookup
from .errors import conflict, invalid, not_found
from .events import Event, FloorLanguage
from .floor import reassign_live
from .languages import require_language
from .outcome import Outcome
from .state import Room, SessionInterpretation, Settings
from .transition import Draft, finish


def new_session(
    plenary_id: str,
    floor_language: str,
    languages: Iterable[str],
    now: datetime,
    settings: Settings | None = None,
) -> SessionInterpretation:
    """A session's interpretation state: the plenary with one channel per language."""
    floor = require_language(floor_language, "floor language")
    langs = _interpretation_languages(floor, languages)
    state = SessionInterpretation(
        plenary_id=plenary_id,
        floor_language=floor,
        languages=langs,
        rooms={plenary_id: Room(plenary_id, "plenary", floor)},
        channels={},
        settings=settings or Settings(),
    )
    return finish(Draft(state, now), uncovered_reason="created").state


def configure(state: SessionInterpretation, settings: Settings) -> SessionInterpretation:
    """New per-event timings (pending timers keep the instants they were set with)."""
    return replace(state, settings=settings)


def set_languages(state: SessionInterpretation, languages: Iterable[str], now: datetime) -> Outcome:
    """``PATCH`` the event's interpretation languages: those gone are dropped (their
    listeners fall back to the floor language, told why; a live interpreter
    goes off air), new ones get channels in the plenary and in the breakout
    rooms that carry them."""
    wanted = _interpretation_languages(state.floor_language, languages)
    if wanted == state.languages:
        return Outcome(state, [])
    draft = Draft(state, now)
    draft.languages = wanted
    draft.sync_channels()  # the new channels exist before anyone is reassigned onto them
    floors = _reset_floors(draft, set(state.languages) - set(wanted))
    return finish(
        draft,
        uncovered_reason="language_changed",
        fallback_reason="language_dropped",
        after=floors,
    )


def add_language(state: SessionInterpretation, language: str, now: datetime) -> Outcome:
    require_language(language)
    if language in state.event_languages:
        raise conflict(f"{language!r} is already a language of this event.")
    return set_languages(state, (*state.languages, language), now)


def drop_language(state: SessionInterpretation, language: str, now: datetime) -> Outcome:
    require_language(language)
    if language == state.floor_language:
        raise invalid(f"{language!r} is the event's floor language; it cannot be dropped.")
    if language not in state.languages:
        raise not_found(f"{language!r} is not an interpretation language of this event.")
    return set_languages(state, [lang for lang in state.languages if lang != language], now)


def open_room(
    state: SessionInterpretation, room_id: str, languages: Iterable[str], now: datetime
) -> Outcome:
    """A breakout room opens with the floor language channel and one per language it
    carries (each must be a language of the event)."""
    return open_rooms(state, [(room_id, languages)], now)


def open_rooms(
    state: SessionInterpretation,
    rooms: Iterable[tuple[str, Iterable[str]]],
    now: datetime,
) -> Outcome:
    """A round's rooms open together: one settle for all of them (a settle walks
    every member, so a hundred rooms opened one by one walked them a hundred times)."""
    draft = Draft(state, now)
    for room_id, languages in rooms:
        if room_id in draft.rooms:
            raise conflict(f"room {room_id} is already open.")
        carries = []
        for lang in languages:
            require_language(lang)
            if lang not in state.event_languages:
                raise invalid(
                    f"room {room_id} cannot carry {lang!r}: the event's languages are "
                    f"{', '.join(state.event_languages)}; add the language to the event first."
                )
            if lang != state.floor_language and lang not in carries:
                carries.append(lang)
        draft.rooms[room_id] = Room(room_id, "breakout", state.floor_language, tuple(carries))
    return finish(draft, uncovered_reason="room_opened")


def close_room(state: SessionInterpretation, room_id: str, now: datetime) -> Outcome:
    """A breakout room closes: whoever is still in it returns to the plenary (live
    interpreters go off air), and its channels go away."""
    return close_rooms(state, [room_id], now)


def close_rooms(state: SessionInterpretation, room_ids: Iterable[str], now: datetime) -> Outcome:
    """A round's rooms close together, in one settle (see ``open_rooms``)."""
    closing = set()
    for room_id in room_ids:
        _lookup.room_exists(state, room_id)
        if room_id == state.plenary_id:
            raise invalid("the plenary cannot be closed.")
        closing.add(room_id)
    draft = Draft(state, now)
    for pid, member in state.members.items():
        if member.room_id in closing:
            draft.members[pid] = member.in_room(state.plenary_id)
    for room_id in closing:
        del draft.rooms[room_id]
    return finish(draft, uncovered_reason="room_closed", fallback_reason="room_closed")


def _interpretation_languages(floor: str, languages: Iterable[str]) -> tuple[str, ...]:
    langs: list[str] = []
    for lang in languages:
        require_language(lang)
        if lang != floor and lang not in langs:
            langs.append(lang)
    return tuple(langs)


def _reset_floors(draft: Draft, dropped: set[str]) -> list[Event]:
    """Rooms whose floor language is dropped go back to the event floor language."""
    events: list[Event] = []
    for room_id, room in list(draft.rooms.items()):
        if room.floor_language in dropped:
            draft.rooms[room_id] = replace(room, floor_language=draft.floor_language)
            reassign_live(draft, room_id)
            events.append(FloorLanguage(room_id, draft.floor_language, room.floor_language))
    return events
