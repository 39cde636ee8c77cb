"""What each person hears."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from . import _lookup
from ._draft import Draft, finish
from .errors import invalid
from .events import ListeningChanged, person
from .hearing import heard_language
from .languages import require_language
from .outcome import Outcome
from .state import SessionInterpretation


def set_listening(
    state: SessionInterpretation, person_id: str, language: str, now: datetime
) -> Outcome:
    """``PUT /listening``: the channel the person hears, in the room they are in.

    A language the event does not have is 422. An event language that the
    person's room has no channel for falls back to the event's floor language
    (the original), and ``listening.changed`` says why; the choice is kept, so
    they hear it in the next room that has that channel.
    """
    member = _lookup.member(state, person_id)
    require_language(language)
    if language not in state.event_languages:
        raise invalid(
            f"this event has no {language!r} channel; "
            f"choose one of {', '.join(state.event_languages)}."
        )
    here = state.event_languages if member.room_id is None else state.room_languages(member.room_id)
    heard = heard_language(language, here, state.floor_language)
    reason = None if heard == language else "no_channel_in_room"
    if heard == member.listening and language == member.chosen and reason is None:
        return Outcome(state, [])
    draft = Draft(state, now)
    draft.members[person_id] = replace(member, listening=heard, chosen=language)
    told = ListeningChanged(
        person_id,
        member.room_id,
        heard,
        reason,
        language if reason else None,
        (person(person_id),),
    )
    return finish(draft, uncovered_reason="listener_joined", before=[told])
