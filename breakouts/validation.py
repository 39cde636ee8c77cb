"""Checks on what a moderator asks for when creating a round.

Each check raises an ``invalid`` error whose detail names the bad value and
the fix, before anything is built, so a rejected request changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from .errors import invalid
from .language_names import describe
from .model import RoomDraft, normalise_name

MAX_ROOMS = 100
MAX_NAME_LENGTH = 100


def check_instant(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("instants must be timezone-aware (UTC)")


def check_timing(duration_s: int | None, countdown_s: int) -> None:
    if duration_s is not None and duration_s <= 0:
        raise invalid(
            f"duration_s must be a positive number of seconds, not {duration_s}; "
            "leave it out for a round that runs until a moderator closes it."
        )
    if countdown_s < 0:
        raise invalid(f"countdown_s must be 0 or more seconds, not {countdown_s}.")


def rooms_from_count(count: int) -> list[RoomDraft]:
    if not 1 <= count <= MAX_ROOMS:
        raise invalid(f"count must be between 1 and {MAX_ROOMS} rooms, not {count}.")
    return [RoomDraft(f"Room {number}") for number in range(1, count + 1)]


def check_room_drafts(
    rooms: Sequence[RoomDraft], event_languages: Iterable[str]
) -> list[RoomDraft]:
    """Trimmed, de-duplicated drafts; names unique, languages among the event's."""
    if not 1 <= len(rooms) <= MAX_ROOMS:
        raise invalid(f"A round needs between 1 and {MAX_ROOMS} rooms, not {len(rooms)}.")
    known = {lang.casefold(): lang for lang in event_languages}
    seen: dict[str, int] = {}
    checked: list[RoomDraft] = []
    for number, draft in enumerate(rooms, start=1):
        name = " ".join(draft.name.split())
        if not name:
            raise invalid(f"Room {number} has no name; give every room a name.")
        if len(name) > MAX_NAME_LENGTH:
            raise invalid(
                f"The name of room {number} is {len(name)} characters long; "
                f"keep it to {MAX_NAME_LENGTH}."
            )
        key = normalise_name(name)
        if key in seen:
            raise invalid(
                f"Rooms {seen[key]} and {number} are both named '{name}'; room names must differ."
            )
        seen[key] = number
        if draft.capacity is not None and draft.capacity < 1:
            raise invalid(
                f"Room '{name}' has capacity {draft.capacity}; use 1 or more, "
                "or leave it out for no limit."
            )
        languages: list[str] = []
        for lang in draft.languages:
            event_lang = known.get(lang.strip().casefold())
            if event_lang is None:
                offered = ", ".join(sorted(known.values())) or "none"
                raise invalid(
                    f"Room '{name}' asks for {describe(lang)}, which this event does not "
                    f"have (its languages: {offered}); add it to the event first."
                )
            if event_lang not in languages:
                languages.append(event_lang)
        checked.append(RoomDraft(name, tuple(languages), draft.capacity))
    return checked
