"""Which rooms a registered working-group name means.

Registrations and room names are typed by different people: names compare after
Unicode normalisation, ignoring case and spacing (``normalise_name``). A big
group may have several rooms: "Digital divide", "Digital divide 2", "Digital
divide (Arabic)" and "Digital divide - Arabic" all belong to "Digital divide".
A name that matches no room is never guessed at: the closest room name is
reported so that the moderator decides.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Sequence

from .model import Member, RoomSpec, normalise_name

# What may follow a group's name in the name of one of its rooms (after
# normalise_name): a number, a parenthesis, or a dash and a word.
_ROOM_SUFFIX = re.compile(r" #?\d+| ?\(.*\)| [-\u2013\u2014] .+")


def registered_groups(members: Iterable[Member]) -> frozenset[str]:
    """Every group name someone registered for (normalised)."""
    return frozenset(normalise_name(group) for member in members for group in member.groups)


def rooms_of_group(
    group: str, rooms: Iterable[RoomSpec], registered: Collection[str] = ()
) -> list[RoomSpec]:
    """The rooms of the working group ``group``, in the order they were listed.

    A room named exactly as another ``registered`` group is that group's only: with
    groups "City Lab" and "City Lab - collaborations", the room "City Lab -
    collaborations" is not a room of "City Lab".
    """
    wanted = normalise_name(group)
    if not wanted:
        return []
    found = []
    for room in rooms:
        name = normalise_name(room.name)
        if name == wanted:
            found.append(room)
        elif (
            name.startswith(wanted)
            and name not in registered
            and _ROOM_SUFFIX.fullmatch(name[len(wanted) :])
        ):
            found.append(room)
    return found


def closest_room_name(group: str, rooms: Sequence[RoomSpec]) -> str | None:
    """The room name most like ``group`` (difflib's ratio), as the moderator typed it."""
    names = {normalise_name(room.name): room.name for room in rooms}
    best = difflib.get_close_matches(normalise_name(group), list(names), n=1, cutoff=0)
    return names[best[0]] if best else None


def unmatched_reason(group: str, rank: int, rooms: Sequence[RoomSpec]) -> str:
    """Why someone whose choice ``rank`` (0-based) is ``group`` was not placed."""
    closest = closest_room_name(group, rooms)
    hint = f"; the closest room name is '{closest}'" if closest else ""
    return (
        f"their working group choice {rank + 1}, '{group}', matches no room{hint}. "
        "Rename the room or place them by hand"
    )
