"""Builders shared by the interpretation tests (no tests here).

The kick-off of the issue: English floor, an Arabic and a Russian booth of two
interpreters each, and participants from Tbilisi (Russian), Amman (Arabic) and
Essen (English), everyone in the plenary and connected.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from interpretation import (
    ChannelKey,
    Command,
    InterpretationError,
    SessionInterpretation,
    add_person,
    apply,
    connection_changed,
    move_person,
    new_session,
)
from interpretation.serialization import to_dict

T0 = datetime(2021, 8, 31, 12, 0, tzinfo=UTC)  # 14:00 CEST
P = "plenary"

BOOTHS = {
    "A1": ("en>ar", "ar>en"),
    "A2": ("en>ar", "ar>en"),
    "R1": ("en>ru",),
    "R2": ("en>ru",),
}
LISTENERS = {"tbilisi": "ru", "amman": "ar", "essen": "en"}


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def kickoff(
    extra: dict[str, Iterable[str]] | None = None,
    languages: Iterable[str] = ("ar", "ru"),
) -> SessionInterpretation:
    state = new_session(P, "en", languages, T0)
    for pid, dirs in {**BOOTHS, **(extra or {})}.items():
        state = add_person(state, pid, T0, interprets=dirs).state
        state = move_person(state, pid, P, T0).state
        state = connection_changed(state, pid, True, T0).state
    for pid, lang in LISTENERS.items():
        state = add_person(state, pid, T0, listening=lang).state
        state = move_person(state, pid, P, T0).state
        state = connection_changed(state, pid, True, T0).state
    return state


def run(state: SessionInterpretation, commands: Iterable[Command], now: datetime = T0):
    for command in commands:
        state = apply(state, command, now).state
    return state


def types(events) -> list[str]:
    return [e.type for e in events]


def rejected(state: SessionInterpretation, command: Command, now: datetime = T0):
    """Apply a command that must fail; it must leave the state as it was."""
    before = to_dict(state)
    with pytest.raises(InterpretationError) as info:
        apply(state, command, now)
    assert to_dict(state) == before
    return info.value


def channel(state: SessionInterpretation, room_id: str, language: str):
    return state.channels[ChannelKey(room_id, language)]
