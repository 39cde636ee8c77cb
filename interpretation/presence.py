"""People: who they are to interpretation, where they are, whether connected.

The server tells the domain when a person is created, moves room, and when
their last connection drops or the first one returns; the domain keeps the
room and ``online`` of each person, which handovers and booths depend on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from . import _lookup
from .handover import requested_event
from .hearing import heard_language
from .languages import Interpreter, is_language_code, parse_directions
from .outcome import Outcome
from .state import ChannelKey, HandoverRequest, Member, PendingDropout, SessionInterpretation
from .transition import Draft, finish


def add_person(
    state: SessionInterpretation,
    person_id: str,
    now: datetime,
    *,
    interprets: Iterable[object] = (),
    listening: str | None = None,
) -> Outcome:
    """Make a person known (or update their directions).

    ``listening`` is what they choose to hear at first: pass a participant's or
    moderator's ``language`` (one the event or their room has no channel for is
    heard as the floor language and kept: they hear it once a channel appears,
    a language added late or a move); leave it ``None`` for observers and
    interpreters, who are not listeners until they choose. A live interpreter who loses the
    direction into their channel goes off air.
    """
    directions = parse_directions(interprets)
    draft = Draft(state, now)
    member = draft.members.get(person_id) or Member(person_id)
    if listening is not None:
        member = _requesting(state, member, listening)
    draft.members[person_id] = member
    if directions:
        draft.interpreters[person_id] = Interpreter(person_id, directions)
    else:
        draft.interpreters.pop(person_id, None)
    key = draft.live_key_of(person_id)
    if key is not None and not any(d.target == key.language for d in directions):
        draft.go_off(key)
    return finish(draft, uncovered_reason="left_booth")


def _requesting(state: SessionInterpretation, member: Member, language: str) -> Member:
    """The member asks for ``language`` (kept even if the event has no channel for it
    yet); what they hear in their room is settled by ``finish``."""
    chosen = language if is_language_code(language) else state.floor_language
    heard = heard_language(chosen, state.event_languages, state.floor_language)
    return replace(member, listening=heard, chosen=chosen)


@dataclass(frozen=True)
class Newcomer:
    """One person for ``add_people``: what ``add_person`` takes, and where they are."""

    person_id: str
    interprets: tuple[object, ...] = ()
    listening: str | None = None
    room_id: str | None = None
    online: bool = False


def add_people(state: SessionInterpretation, people: Iterable[Newcomer], now: datetime) -> Outcome:
    """Many people made known at once (a session's state built, or catching up with
    thousands of registrations): the result of ``add_person``, then ``move_person``
    and ``connection_changed`` for each, one by one, but settled once instead of
    once per person (which made a plenary of 5,000 cost 5,000 full settles)."""
    draft = Draft(state, now)
    for p in people:
        directions = parse_directions(p.interprets)
        member = draft.members.get(p.person_id) or Member(p.person_id)
        if p.listening is not None:
            member = _requesting(state, member, p.listening)
        if directions:
            draft.interpreters[p.person_id] = Interpreter(p.person_id, directions)
        else:
            draft.interpreters.pop(p.person_id, None)
        key = draft.live_key_of(p.person_id)
        if key is not None and not any(d.target == key.language for d in directions):
            draft.go_off(key)
        if p.room_id is not None and p.room_id in state.rooms and member.room_id != p.room_id:
            moving = draft.live_key_of(p.person_id)
            if moving is not None:  # on air in the room they leave
                draft.go_off(moving)
            member = replace(member, room_id=p.room_id)
        if p.online:
            member = replace(member, online=True)
            draft.dropouts.pop(p.person_id, None)
        draft.members[p.person_id] = member
    return finish(draft, uncovered_reason="left_booth")


def move_person(
    state: SessionInterpretation, person_id: str, room_id: str, now: datetime
) -> Outcome:
    """The server moved a person (also their first join). A live interpreter goes
    off air in the room they leave; a listener keeps their chosen language: they
    hear it where the new room has that channel, else the floor language
    (``listening.changed`` with ``fallback_reason``), and get it back, told
    (``reason: channel_available``), in the next room that has it. Booths of
    both rooms change with interpreters."""
    member = _lookup.member(state, person_id)
    _lookup.room_exists(state, room_id)
    if member.room_id == room_id:
        return Outcome(state, [])
    draft = Draft(state, now)
    key = draft.live_key_of(person_id)
    if key is not None:
        draft.go_off(key)
    draft.members[person_id] = member.in_room(room_id)
    return finish(draft, uncovered_reason="interpreter_left_room")


def move_people(state: SessionInterpretation, moves: Mapping[str, str], now: datetime) -> Outcome:
    """Many moves in one step (a round opening or closing moves hundreds of people):
    the same result as ``move_person`` one by one, settled once instead of per
    person. Unknown people or rooms are refused before anything changes."""
    members, rooms = state.members, state.rooms
    for person_id, room_id in moves.items():
        if person_id not in members or room_id not in rooms:  # the lookups say which
            _lookup.member(state, person_id)
            _lookup.room_exists(state, room_id)
    draft = Draft(state, now)
    live = draft.live_keys()
    for person_id, room_id in moves.items():
        member = draft.members[person_id]
        if member.room_id == room_id:
            continue
        key = live.pop(person_id, None)
        if key is not None:
            draft.go_off(key)
        draft.members[person_id] = member.in_room(room_id)
    return finish(draft, uncovered_reason="interpreter_left_room")


def connection_changed(
    state: SessionInterpretation, person_id: str, online: bool, now: datetime
) -> Outcome:
    """The person's first connection opened or last one closed.

    A live interpreter who drops stays on air for ``dropout_grace_s``; the
    pending dropout (see ``timers.pending_timers``) fires ``dropout_due`` then,
    unless they come back first.
    """
    member = _lookup.member(state, person_id)
    if member.online == online:
        return Outcome(state, [])
    draft = Draft(state, now)
    draft.members[person_id] = replace(member, online=online)
    key = draft.live_key_of(person_id)
    if online:
        draft.dropouts.pop(person_id, None)
    elif key is not None:
        due = now + timedelta(seconds=state.settings.dropout_grace_s)
        draft.dropouts[person_id] = PendingDropout(person_id, key.room_id, key.language, due)
    return finish(draft, uncovered_reason="dropout")


def dropout_due(
    state: SessionInterpretation,
    person_id: str,
    due: datetime,
    now: datetime,
    timeout_s: float | None = None,
) -> Outcome:
    """The grace of a dropped live interpreter is over (idempotent timer).

    They go off air; the moderators get ``channel.uncovered`` (listened or not);
    a connected partner in the room, if any, is asked to take over
    (``handover.requested`` with reason ``dropout``, which they accept like any
    handover).
    """
    pending = state.dropouts.get(person_id)
    if pending is None or pending.due != due or now < due:
        return Outcome(state, [])
    key = ChannelKey(pending.room_id, pending.language)
    draft = Draft(state, now)
    del draft.dropouts[person_id]
    draft.go_off(key)
    after = []
    partner = choose_partner(state, key, exclude=person_id)
    if partner is not None:
        timeout = state.settings.handover_timeout_s if timeout_s is None else timeout_s
        request = HandoverRequest(
            draft.new_request_id(),
            key.room_id,
            key.language,
            person_id,
            partner,
            now,
            now + timedelta(seconds=timeout),
            reason="dropout",
        )
        old = draft.handovers.get(key)
        if old is not None:
            draft.cancel(old, "superseded")
        draft.handovers[key] = request
        after.append(requested_event(request))
    return finish(draft, uncovered_reason="interpreter_dropout", after=after, announce=[key])


def choose_partner(
    state: SessionInterpretation,
    key: ChannelKey,
    exclude: str | None = None,
    *,
    online_only: bool = True,
) -> str | None:
    """A booth partner in the room who is not live anywhere: connected ones first,
    then those who interpret the room's floor directly, then by id."""
    floor = state.rooms[key.room_id].floor_language
    live = {ch.on_air for ch in state.channels.values() if ch.on_air}
    candidates = [
        pid
        for pid, interpreter in state.interpreters.items()
        if pid != exclude
        and pid not in live
        and interpreter.works_into(key.language)
        and state.members[pid].room_id == key.room_id
        and (state.members[pid].online or not online_only)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda pid: (
            not state.members[pid].online,
            not state.interpreters[pid].can(floor, key.language),
            pid,
        ),
    )
