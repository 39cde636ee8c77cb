"""Moving one person between the plenary and the rooms of the open round.

Who may move whom, and where, is decided here so that REST and WebSocket
callers get the same answer: moderators move anyone anywhere in the session
(capacity does not bind them); a participant moves only itself, back to the
plenary when the round allows returning, or between rooms in a self-select
round while there is space. A target outside the session's plenary and the
current round's rooms does not exist for the caller (``not_found``); a room of a
round that is only planned exists but is not open yet (``conflict``). Observers
are never placed, so moving one is ``invalid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import conflict, forbidden, invalid, not_found
from .events import Event, RoomMoved
from .model import Member, Placement, Role, Round, RoundStatus, Strategy, index_members
from .wording import with_article


def _check_target(round_: Round | None, to_room_id: str, plenary_id: str) -> None:
    if to_room_id == plenary_id:
        return
    if (
        round_ is None
        or to_room_id not in round_.room_ids
        or not (round_.is_active or round_.status is RoundStatus.PLANNED)
    ):
        raise not_found(
            f"Room {to_room_id} is not open in this session; move people to the plenary "
            "or to a room of the open round."
        )
    if round_.status is RoundStatus.PLANNED:
        raise conflict(
            f"Round {round_.id} is not open yet; open it first, or change its plan instead."
        )
    if round_.status is RoundStatus.CLOSING:
        raise conflict(
            f"Round {round_.id} is closing and everyone returns to the plenary; cancel the "
            "countdown to keep using its rooms."
        )


def _participants_in(
    placement: Placement, room_id: str, members: Mapping[str, Member] | None
) -> int:
    people = placement.members_of(room_id)
    if members is None:
        return len(people)
    return sum(1 for pid in people if pid in members and members[pid].is_participant)


def _check_self_move(
    placement: Placement,
    round_: Round | None,
    to_room_id: str,
    plenary_id: str,
    members: Mapping[str, Member] | None,
) -> None:
    """The rules for a participant moving itself (target already known to exist)."""
    if to_room_id == plenary_id:
        if round_ is not None and round_.is_active and not round_.allow_return:
            raise forbidden(
                "This round does not let participants return to the plenary by themselves; "
                "ask a moderator."
            )
        return
    assert round_ is not None  # _check_target: a room target implies an open round
    if round_.strategy is not Strategy.SELF_SELECT:
        raise forbidden(
            "Rooms in this round are assigned; participants choose their room only in a "
            "self-select round. Ask a moderator to move you."
        )
    room = round_.room(to_room_id)
    assert room is not None
    if room.capacity is not None and _participants_in(placement, room.id, members) >= room.capacity:
        raise conflict(f"Room '{room.name}' is full ({room.capacity} people); choose another room.")


def move(
    placement: Placement,
    round_: Round | None,
    actor: Member,
    person_id: str,
    to_room_id: str,
    plenary_id: str,
    *,
    members: Iterable[Member] | Mapping[str, Member] | None = None,
) -> tuple[Placement, list[Event]]:
    """Move ``person_id`` to ``to_room_id`` on behalf of ``actor``.

    ``round_`` is the session's current round (None if there is none).
    ``members`` (the session's people) lets capacity count participants only,
    so moderators visiting a room do not fill it, and lets moderators move
    someone who has not joined yet. Moving to the room one is in is a no-op.
    """
    if actor.role is Role.OBSERVER:
        raise forbidden("Observers see everything but move nobody.")
    if actor.role is not Role.MODERATOR:
        if person_id != actor.person_id:
            raise forbidden("Only moderators move other people; you can move yourself.")
        if actor.role is not Role.PARTICIPANT:
            raise forbidden(
                f"{with_article(actor.role.value, capital=True)} is placed in rooms by a "
                "moderator; ask a moderator."
            )
    by_id = index_members(members) if members is not None else None
    current = placement.get(person_id)
    if current is None and by_id is not None and person_id in by_id:
        current = plenary_id  # a member who has not joined yet belongs in the plenary
    if current is None:
        raise not_found(f"Person {person_id} is not in this session.")
    target = by_id.get(person_id) if by_id is not None else None
    if target is not None and target.role is Role.OBSERVER:
        raise invalid(
            f"{target.name or person_id} is an observer: observers see every room from "
            "outside and are never placed in one, so there is nothing to move."
        )
    _check_target(round_, to_room_id, plenary_id)
    if current == to_room_id:
        return placement, []
    if actor.role is Role.PARTICIPANT:
        _check_self_move(placement, round_, to_room_id, plenary_id, by_id)
    return placement.moved({person_id: to_room_id}), [
        RoomMoved.make(person_id, current, to_room_id)
    ]
