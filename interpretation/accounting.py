"""On-air time, turns, and the report operators pay and plan interpreters by."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from domain.audience import MODERATORS, persons

from .events import TurnDue
from .outcome import Outcome
from .presence import choose_partner
from .state import OnAirSegment, SessionInterpretation
from .transition import Draft, finish


def on_air_segments(state: SessionInterpretation, now: datetime) -> list[OnAirSegment]:
    """Closed segments, plus the running ones cut at ``now``."""
    running = [
        OnAirSegment(ch.live.person_id, ch.room_id, ch.language, ch.live.since, now)
        for ch in state.channels.values()
        if ch.live is not None and now > ch.live.since
    ]
    return [*state.segments, *running]


def on_air_seconds(state: SessionInterpretation, now: datetime) -> dict[str, dict[str, float]]:
    """``{person_id: {language: seconds}}`` over the whole session so far."""
    totals: dict[str, dict[str, float]] = {}
    for seg in on_air_segments(state, now):
        per_lang = totals.setdefault(seg.person_id, {})
        seconds = (seg.end - seg.start).total_seconds()
        per_lang[seg.language] = per_lang.get(seg.language, 0.0) + seconds
    return totals


def turn_due(state: SessionInterpretation, now: datetime, turn_s: float | None = None) -> Outcome:
    """``turn.due`` for each live interpreter past ``turn_s`` of continuous work
    (once per turn; a move to the retour channel does not start a new turn),
    to them and to the connected partner who should take over; with no partner
    connected, ``partner_id`` is None and the moderators are told too."""
    turn = state.settings.turn_s if turn_s is None else turn_s
    if turn <= 0:
        return Outcome(state, [])
    draft = Draft(state, now)
    after = []
    for key, ch in state.channels.items():
        if ch.live is None:
            continue
        elapsed = (now - ch.live.turn_since).total_seconds()
        turns = int(elapsed // turn)
        if turns <= ch.live.turns_due:
            continue
        draft.channels[key] = replace(ch, live=replace(ch.live, turns_due=turns))
        partner = choose_partner(state, key, exclude=ch.live.person_id, online_only=True)
        audience = persons(ch.live.person_id, partner)
        if partner is None:  # nobody connected can take over: the moderators must act
            audience = (*audience, MODERATORS)
        after.append(
            TurnDue(key.room_id, key.language, ch.live.person_id, partner, int(elapsed), audience)
        )
    if not after:
        return Outcome(state, [])
    return finish(draft, uncovered_reason="turn", after=after)


def report(state: SessionInterpretation, now: datetime) -> dict[str, Any]:
    """``GET .../interpretation/report``: on-air minutes per interpreter and language,
    the on-air history they are summed from, and listeners over time per channel
    (a sample at each change; before its first sample a channel had none)."""
    seconds = on_air_seconds(state, now)
    interpreters = [
        {
            "person_id": pid,
            "minutes": {lang: round(s / 60, 2) for lang, s in sorted(per_lang.items())},
            "total_minutes": round(sum(per_lang.values()) / 60, 2),
        }
        for pid, per_lang in sorted(seconds.items())
    ]
    history = [
        {
            "person_id": seg.person_id,
            "room_id": seg.room_id,
            "language": seg.language,
            "start": seg.start,
            "end": seg.end,
            "minutes": round((seg.end - seg.start).total_seconds() / 60, 2),
        }
        for seg in sorted(on_air_segments(state, now), key=lambda s: (s.start, s.person_id))
    ]
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for sample in state.samples:
        points = series.setdefault((sample.room_id, sample.language), [])
        if points and points[-1]["at"] == sample.at:
            points[-1]["listeners"] = sample.listeners
        else:
            points.append({"at": sample.at, "listeners": sample.listeners})
    listeners = [
        {"room_id": room_id, "language": lang, "samples": points}
        for (room_id, lang), points in series.items()
    ]
    return {"interpreters": interpreters, "on_air": history, "listeners": listeners}
