"""The language spoken on a room's floor, and what changes when it changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from . import _lookup
from ._draft import Draft, finish
from .assignment import assign_live
from .errors import invalid
from .events import FloorLanguage
from .hearing import heard_language
from .languages import require_language
from .outcome import FloorOutcome
from .state import ChannelKey, SessionInterpretation
from .views import uncovered_channels


def reassign_live(draft: Draft, room_id: str) -> None:
    """After the floor of ``room_id`` changed (already set in ``draft``): the
    interpreters live in the room are placed again by ``assign_live``. Those who
    stay keep their segment; those who move keep their turn; nobody else goes on
    air. Everyone moving leaves before anyone arrives, so nobody is live twice."""
    langs = draft.room_languages(room_id)
    live = {}
    for lang in langs:
        channel = draft.channels.get(ChannelKey(room_id, lang))
        if channel is not None and channel.on_air is not None:
            live[channel.on_air] = (lang, draft.interpreters[channel.on_air])
    if not live:
        return
    floor = draft.rooms[room_id].floor_language
    listened = {
        heard_language(m.chosen, langs, draft.floor_language)
        for m in draft.members.values()
        if m.room_id == room_id and m.chosen is not None
    }
    plan = assign_live(floor, langs, live, listened, pivot=draft.floor_language)
    moving = {
        pid: draft.go_off(ChannelKey(room_id, lang))
        for pid, (lang, _) in live.items()
        if plan.get(pid) != lang
    }
    for pid, carry in moving.items():
        if pid in plan:
            draft.go_live(ChannelKey(room_id, plan[pid]), pid, carry=carry)
            if pid in draft.dropouts:  # their grace follows them to the new channel
                draft.dropouts[pid] = replace(draft.dropouts[pid], language=plan[pid])


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
    draft.rooms[room_id] = replace(draft.rooms[room_id], floor_language=language)
    reassign_live(draft, room_id)
    outcome = finish(
        draft,
        uncovered_reason="floor_changed",
        announce_all_uncovered=True,
        after=[FloorLanguage(room_id, language, previous)],
    )
    return FloorOutcome(outcome.state, outcome.events, uncovered_channels(outcome.state, room_id))
