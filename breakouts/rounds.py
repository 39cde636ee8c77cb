"""Round lifecycle: create, open, extend, close (with countdown), cancel, recreate.

Each function takes the round (and the placement when people move) and
returns the new values plus the events to store; it raises ``BreakoutError``
and changes nothing when the command does not fit the round's state
(``transitions.TRANSITIONS``). Opening and closing move everyone in one step,
online or not, so nobody is lost when rooms open or close.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from domain.audience import MODERATORS, SESSION

from .errors import conflict, invalid
from .events import (
    BreakoutCancelled,
    BreakoutCloseCancelled,
    BreakoutClosed,
    BreakoutClosing,
    BreakoutCreated,
    BreakoutExtended,
    BreakoutOpened,
    Event,
    RoomMoved,
)
from .model import Member, Placement, RoomDraft, RoomSpec, Round
from .strategies import assign, parse_strategy
from .transitions import Action, require
from .validation import check_instant, check_room_drafts, check_timing, rooms_from_count


def _new_uuid() -> str:
    return str(uuid.uuid4())


def created_event(round_: Round) -> BreakoutCreated:
    return BreakoutCreated(
        (MODERATORS,),
        round_.id,
        round_.rooms,
        round_.strategy.value,
        dict(round_.plan),
        round_.unplaced,
        round_.duration_s,
        round_.countdown_s,
        round_.allow_return,
    )


def create_round(
    *,
    round_id: str,
    session_id: str,
    strategy: str,
    members: Iterable[Member],
    event_languages: Iterable[str],
    floor_language: str | None,
    now: datetime,
    count: int | None = None,
    rooms: Sequence[RoomDraft] | None = None,
    duration_s: int | None = None,
    countdown_s: int = 60,
    allow_return: bool = True,
    plan: Mapping[str, str] | None = None,
    new_room_id: Callable[[], str] = _new_uuid,
) -> tuple[Round, list[Event]]:
    """A planned round with rooms ``Room 1..N`` (``count``) or the given ``rooms``.

    The strategy plans the members now; who it cannot place is kept in
    ``unplaced`` and shown to moderators, and the round is still created.
    """
    check_instant(now)
    chosen = parse_strategy(strategy)
    if (count is None) == (rooms is None):
        raise invalid("Give either count (1 to 100 rooms) or a list of rooms, not both.")
    drafts = (
        rooms_from_count(count)
        if count is not None
        else check_room_drafts(rooms or [], event_languages)
    )
    check_timing(duration_s, countdown_s)
    specs = tuple(
        RoomSpec(new_room_id(), draft.name, draft.languages, draft.capacity) for draft in drafts
    )
    if len({spec.id for spec in specs}) != len(specs):
        raise ValueError("new_room_id returned the same id twice")
    assignment = assign(chosen, members, specs, floor_language=floor_language, plan=plan)
    round_ = Round(
        id=round_id,
        session_id=session_id,
        strategy=chosen,
        rooms=specs,
        plan=assignment.plan,
        unplaced=tuple(assignment.unplaced),
        duration_s=duration_s,
        countdown_s=countdown_s,
        allow_return=allow_return,
        floor_language=floor_language,
        created_at=now,
    )
    return round_, [created_event(round_)]


def recreate_round(
    old: Round,
    new_id: str,
    *,
    now: datetime,
    room_ids: Sequence[str] | None = None,
    new_room_id: Callable[[], str] = _new_uuid,
) -> tuple[Round, list[Event]]:
    """A new planned round with the same rooms and the same plan as a finished one.

    Rooms get new ids (``room_ids`` in order, else ``new_room_id()``) so a move
    can never target a room of the old round.
    """
    check_instant(now)
    require(old, Action.RECREATE)
    if room_ids is not None and len(room_ids) != len(old.rooms):
        raise ValueError(f"need {len(old.rooms)} room ids, got {len(room_ids)}")
    ids = list(room_ids) if room_ids is not None else [new_room_id() for _ in old.rooms]
    if len(set(ids)) != len(ids) or set(ids) & old.room_ids:
        raise ValueError("room ids of a recreated round must be new and distinct")
    mapping = dict(zip((room.id for room in old.rooms), ids, strict=True))
    round_ = Round(
        id=new_id,
        session_id=old.session_id,
        strategy=old.strategy,
        rooms=tuple(replace(room, id=mapping[room.id]) for room in old.rooms),
        plan={pid: mapping[rid] for pid, rid in old.plan.items()},
        unplaced=old.unplaced,
        duration_s=old.duration_s,
        countdown_s=old.countdown_s,
        allow_return=old.allow_return,
        floor_language=old.floor_language,
        created_at=now,
    )
    return round_, [created_event(round_)]


def open_round(
    round_: Round,
    placement: Placement,
    *,
    plenary_id: str,
    now: datetime,
    session_rounds: Iterable[Round] = (),
    companions: Mapping[str, str] | None = None,
) -> tuple[Round, Placement, list[Event]]:
    """Every planned member goes to their room in one step, online or not.

    ``session_rounds`` are the session's other rounds: one open at a time.
    ``companions`` (person id -> room id) go too, after the plan, though the plan does
    not name them (interpreters into the language rooms of their booth).
    Events: ``breakout.opened`` first (clients learn the rooms), then one
    ``room.moved`` per person whose room changes. People missing from the
    placement are taken to be in the plenary.
    """
    check_instant(now)
    status = require(round_, Action.OPEN)
    for other in session_rounds:
        if other.id != round_.id and other.session_id == round_.session_id and other.is_active:
            raise conflict(
                f"Round {other.id} is still {other.status.value} in this session; close it "
                "before opening another."
            )
    ends_at = now + timedelta(seconds=round_.duration_s) if round_.duration_s else None
    opened = replace(round_, status=status, opened_at=now, ends_at=ends_at)
    events: list[Event] = [
        BreakoutOpened(
            (SESSION,),
            opened.id,
            opened.rooms,
            ends_at,
            opened.strategy.value,
            opened.allow_return,
        )
    ]
    changes: dict[str, str] = {}
    for person_id, room_id in opened.plan.items():
        current = placement.get(person_id, plenary_id)
        if current != room_id:
            changes[person_id] = room_id
            events.append(RoomMoved.make(person_id, current, room_id))
    placement = placement.moved(changes)
    for person_id, room_id in (companions or {}).items():
        current = placement.get(person_id, plenary_id)
        if current != room_id:
            events.append(RoomMoved.make(person_id, current, room_id))
            placement = placement.moved({person_id: room_id})
    return opened, placement, events


def extend_round(round_: Round, seconds: int, *, now: datetime) -> tuple[Round, list[Event]]:
    """Move ``ends_at`` by ``seconds``; negative shortens.

    Counted from ``now`` when the round has no end yet or its end has just
    passed (the timer is about to fire): "5 more minutes" means from now.
    """
    check_instant(now)
    status = require(round_, Action.EXTEND)
    if seconds == 0:
        raise invalid("Extend by a non-zero number of seconds.")
    base = round_.ends_at if round_.ends_at is not None and round_.ends_at > now else now
    ends_at = base + timedelta(seconds=seconds)
    if ends_at <= now:
        raise invalid(
            f"Shortening by {-seconds} s would end the round in the past; to end it now, close it."
        )
    extended = replace(round_, status=status, ends_at=ends_at)
    return extended, [BreakoutExtended((SESSION,), extended.id, ends_at)]


def begin_close(round_: Round, *, now: datetime) -> tuple[Round, list[Event]]:
    """Start the countdown: everyone returns to the plenary at ``closes_at``."""
    check_instant(now)
    status = require(round_, Action.BEGIN_CLOSE)
    closes_at = now + timedelta(seconds=round_.countdown_s)
    closing = replace(round_, status=status, closes_at=closes_at)
    return closing, [BreakoutClosing((SESSION,), closing.id, closes_at)]


def cancel_close(round_: Round, *, now: datetime) -> tuple[Round, list[Event]]:
    """Call off the countdown; the round stays open.

    If its end has already passed (the timer started the countdown), it runs
    on with no end until a moderator closes or extends it.
    """
    check_instant(now)
    status = require(round_, Action.CANCEL_CLOSE)
    ends_at = round_.ends_at if round_.ends_at and round_.ends_at > now else None
    reopened = replace(round_, status=status, closes_at=None, ends_at=ends_at)
    return reopened, [BreakoutCloseCancelled((SESSION,), reopened.id, ends_at)]


def finish_close(
    round_: Round, placement: Placement, *, plenary_id: str, now: datetime
) -> tuple[Round, Placement, list[Event]]:
    """Everyone in the round's rooms, connected or not, goes back to the plenary."""
    check_instant(now)
    status = require(round_, Action.FINISH_CLOSE)
    rooms = round_.room_ids
    events: list[Event] = []
    changes: dict[str, str] = {}
    for person_id, room_id in placement.items():
        if room_id in rooms:
            changes[person_id] = plenary_id
            events.append(RoomMoved.make(person_id, room_id, plenary_id))
    closed = replace(round_, status=status, closed_at=now)
    events.append(BreakoutClosed((SESSION,), closed.id))
    return closed, placement.moved(changes), events


def cancel_round(round_: Round, *, now: datetime) -> tuple[Round, list[Event]]:
    """Drop a planned round before it opens; nobody moves."""
    check_instant(now)
    status = require(round_, Action.CANCEL)
    cancelled = replace(round_, status=status, closed_at=now)
    return cancelled, [BreakoutCancelled((SESSION,), cancelled.id)]
