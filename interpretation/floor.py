"""The language spoken on a room's floor, and what changes when it changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from . import _lookup
from ._draft import Draft, finish
from .errors import invalid
from .events import FloorLanguage
from .languages import require_language
from .outcome import FloorOutcome
from .state import ChannelKey, SessionInterpretation
from .views import uncovered_channels


def move_off_floor(draft: Draft, room_id: str, language: str) -> None:
    """The live interpreter of the channel that ``language`` now fills from the floor
    moves to their retour channel (the event floor language first) if they have
    that direction and nobody is live there; otherwise they go off air. Never
    live on two channels: it is one move."""
    key = ChannelKey(room_id, language)
    channel = draft.channels.get(key)
    if channel is None or channel.live is None:
        return
    interpreter = draft.interpreters[channel.live.person_id]
    langs = draft.room_languages(room_id)
    targets = [
        lang
        for lang in langs
        if lang != language
        and interpreter.can(language, lang)
        and draft.channels[ChannelKey(room_id, lang)].live is None
    ]
    targets.sort(key=lambda lang: (lang != draft.floor_language, langs.index(lang)))
    live = draft.go_off(key)
    if targets:
        draft.go_live(ChannelKey(room_id, targets[0]), interpreter.person_id, carry=live)


def set_floor(
    state: SessionInterpretation, room_id: str, language: str, now: datetime
) -> FloorOutcome:
    """``PUT /floor``: the language now spoken on the floor of ``room_id``.

    Emits ``channel.updated`` for each channel that changed, ``floor.language``,
    and ``channel.uncovered`` for every listened channel left without a source;
    ``uncovered`` lists all the room's channels without a source.
    """
    _lookup.room_exists(state, room_id)
    require_language(language)
    if language not in state.event_languages:
        raise invalid(
            f"{language!r} is not a language of this event; "
            f"choose one of {', '.join(state.event_languages)}."
        )
    previous = state.rooms[room_id].floor_language
    if language == previous:
        return FloorOutcome(state, [], uncovered_channels(state, room_id))
    draft = Draft(state, now)
    move_off_floor(draft, room_id, language)
    draft.rooms[room_id] = replace(draft.rooms[room_id], floor_language=language)
    outcome = finish(
        draft,
        uncovered_reason="floor_changed",
        announce_all_uncovered=True,
        after=[FloorLanguage(room_id, language, previous)],
    )
    return FloorOutcome(outcome.state, outcome.events, uncovered_channels(outcome.state, room_id))
