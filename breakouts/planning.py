"""Editing a planned round before it opens: move one person, exchange two, import a plan.

Plans are for moderators' eyes (``breakout.planned`` goes to moderators only).
A person the moderator places by hand is no longer listed as unplaced: the
moderator has decided. ``None`` as a room means "stays in the plenary".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from domain.audience import MODERATORS

from .errors import invalid, not_found
from .events import BreakoutPlanned, Event, PlanChange
from .model import Member, Round, index_members
from .strategies import check_plan
from .transitions import Action, require
from .wording import with_article

Members = Iterable[Member] | Mapping[str, Member]


def _participant(person_id: str, members: Mapping[str, Member]) -> Member:
    member = members.get(person_id)
    if member is None:
        raise not_found(f"Person {person_id} is not in this session.")
    if not member.is_participant:
        raise invalid(
            f"{member.name or person_id} is {with_article(member.role.value)}; "
            "only participants are planned into rooms."
        )
    return member


def _with_plan(round_: Round, plan: dict[str, str | None]) -> tuple[Round, list[Event]]:
    """The round with ``plan`` (None values dropped), and the event listing what changed."""
    changes = tuple(
        PlanChange(pid, round_.plan.get(pid), rid)
        for pid, rid in plan.items()
        if round_.plan.get(pid) != rid
    )
    if not changes:
        return round_, []
    decided = {change.person_id for change in changes}
    new_plan = {pid: rid for pid, rid in plan.items() if rid is not None}
    edited = replace(
        round_,
        plan=new_plan,
        unplaced=tuple(item for item in round_.unplaced if item.person_id not in decided),
    )
    return edited, [BreakoutPlanned((MODERATORS,), edited.id, changes, edited.unplaced)]


def _check_room(round_: Round, room_id: str | None) -> None:
    if room_id is not None and room_id not in round_.room_ids:
        raise not_found(f"Room {room_id} is not a room of round {round_.id}.")


def plan_move(
    round_: Round, person_id: str, room_id: str | None, members: Members
) -> tuple[Round, list[Event]]:
    """Plan one participant into ``room_id`` (None: keep them in the plenary)."""
    require(round_, Action.EDIT_PLAN)
    _participant(person_id, index_members(members))
    _check_room(round_, room_id)
    plan: dict[str, str | None] = dict(round_.plan)
    plan[person_id] = room_id
    return _with_plan(round_, plan)


def plan_exchange(
    round_: Round, person_a: str, person_b: str, members: Members
) -> tuple[Round, list[Event]]:
    """Swap the planned rooms of two participants (either may be in the plenary)."""
    require(round_, Action.EDIT_PLAN)
    by_id = index_members(members)
    _participant(person_a, by_id)
    _participant(person_b, by_id)
    plan: dict[str, str | None] = dict(round_.plan)
    plan[person_a], plan[person_b] = round_.plan.get(person_b), round_.plan.get(person_a)
    return _with_plan(round_, plan)


def apply_plan(
    round_: Round, assignments: Mapping[str, str], members: Members, *, replace_all: bool = False
) -> tuple[Round, list[Event]]:
    """Apply many assignments at once (e.g. a parsed CSV), all or nothing.

    With ``replace_all`` people not in ``assignments`` go back to the plenary;
    otherwise their planned rooms are kept.
    """
    require(round_, Action.EDIT_PLAN)
    checked = check_plan(assignments, members, round_.rooms)
    plan: dict[str, str | None] = (
        {pid: None for pid in round_.plan} if replace_all else dict(round_.plan)
    )
    plan.update(checked)
    return _with_plan(round_, plan)
