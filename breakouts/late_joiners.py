"""Placing someone who joins while a round is planned or open.

They go where the round's strategy would have put them, counted against who
is there now, so latecomers know where to go without a moderator. Manual and
self-select rounds leave them in the plenary; a by-language round that has no
room for their language, or a working-groups round where a group they chose
matches no room, leaves them there too and tells the moderators why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from domain.audience import MODERATORS

from .events import BreakoutUnplaced, Event, RoomMoved
from .groups import registered_groups
from .model import Member, Placement, Round, RoundStatus, Strategy, index_members
from .room_fill import RoomFill
from .strategies import group_choice, language_choice


def _counts(round_: Round, placement: Placement, members: Mapping[str, Member]) -> dict[str, int]:
    """Participants per room: planned ones before opening, present ones after."""
    where = round_.plan if round_.status is RoundStatus.PLANNED else placement
    counts: dict[str, int] = {}
    for person_id, room_id in where.items():
        member = members.get(person_id)
        if member is not None and member.is_participant:
            counts[room_id] = counts.get(room_id, 0) + 1
    return counts


def late_joiner_choice(
    round_: Round,
    member: Member,
    placement: Placement,
    members: Iterable[Member] | Mapping[str, Member],
) -> tuple[str | None, str | None]:
    """(room id or None for the plenary, reason when an automatic strategy could not place)."""
    if not member.is_participant or round_.status not in (RoundStatus.PLANNED, RoundStatus.OPEN):
        return None, None
    current = placement.get(member.person_id)
    if round_.status is RoundStatus.OPEN and current in round_.room_ids:
        return current, None
    if member.person_id in round_.plan:
        return round_.plan[member.person_id], None
    if round_.strategy in (Strategy.MANUAL, Strategy.SELF_SELECT):
        return None, None
    by_id = index_members(members)
    fill = RoomFill(round_.rooms, _counts(round_, placement, by_id))
    if round_.strategy is Strategy.BY_LANGUAGE:
        room, reason = language_choice(member, round_.rooms, fill, round_.floor_language)
        return (room.id, None) if room else (None, reason)
    if round_.strategy is Strategy.WORKING_GROUPS:
        registered = registered_groups([*by_id.values(), member])
        room, reason = group_choice(member, round_.rooms, fill, round_.floor_language, registered)
        return (room.id, None) if room else (None, reason)
    room = fill.pick()
    if room is None:
        return None, "every room is full; raise a room's capacity or place them by hand"
    return room.id, None


def place_late_joiner(
    round_: Round,
    member: Member,
    placement: Placement,
    members: Iterable[Member] | Mapping[str, Member],
) -> str | None:
    """The room a latecomer belongs in, or None when they stay in the plenary.

    For a planned round the answer is their planned room (``plan_move`` it);
    for an open round, where to move them now (or use ``join_late``).
    """
    return late_joiner_choice(round_, member, placement, members)[0]


def arrive(person_id: str, plenary_id: str) -> RoomMoved:
    """Someone arriving with no room of this session starts in the plenary."""
    return RoomMoved.arrived(person_id, plenary_id)


def join_late(
    round_: Round,
    member: Member,
    placement: Placement,
    members: Iterable[Member] | Mapping[str, Member],
    *,
    plenary_id: str,
) -> tuple[Placement, list[Event]]:
    """Place someone joining the session for the first time.

    They start in the plenary; in an open round they then move to the room
    the strategy gives them (``room.moved``), or moderators get
    ``breakout.unplaced`` with the reason. Someone already in the placement
    (a reconnect) keeps their room: returning to the plenary is respected.
    """
    if member.person_id in placement:
        return placement, []
    placement = placement.moved({member.person_id: plenary_id})
    if round_.status is not RoundStatus.OPEN:
        return placement, []
    room_id, reason = late_joiner_choice(round_, member, placement, members)
    events: list[Event] = []
    if room_id is not None:
        placement = placement.moved({member.person_id: room_id})
        events.append(RoomMoved.make(member.person_id, plenary_id, room_id))
    elif reason is not None:
        events.append(BreakoutUnplaced((MODERATORS,), round_.id, member.person_id, reason))
    return placement, events
