"""Property-based: random sequences of breakout commands never lose anyone.

Invariants checked after every command, and after every single event within
it: every person present (online or not) is in exactly one room, the plenary
or a room of the round that is open; after a close finishes everyone is in
the plenary; no move lands in a room of another round; the moderators' view
and every room's own view, each rebuilt only from the events routed to them,
agree with the placement (Zulip's ``verify_action`` idea).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.events import Event, RoomMoved
from breakouts.late_joiners import join_late
from breakouts.model import Member, Placement, Role, RoomDraft, Round, RoundStatus, Strategy
from breakouts.moves import move
from breakouts.planning import plan_exchange, plan_move
from breakouts.rounds import (
    begin_close,
    cancel_close,
    cancel_round,
    create_round,
    extend_round,
    finish_close,
    open_round,
    recreate_round,
)
from breakouts.timers import Timer, TimerKind, fire_timer, pending_timer
from domain.audience import MODERATORS

from .test_breakouts_fixtures import (
    EVENT_LANGUAGES,
    FLOOR,
    NOW,
    PLENARY,
    SESSION_ID,
    check_event,
    kickoff_members,
    kickoff_rooms,
)

MEMBERS = kickoff_members()
PERSON_IDS = [m.person_id for m in MEMBERS] + ["p90", "p91", "stranger"]
LATECOMERS = {
    "p90": Member("p90", language="ar", groups=("Digital divide",)),
    "p91": Member("p91", language="ru"),
}

indexes = st.integers(0, 1000)


class BreakoutSession(RuleBasedStateMachine):
    @initialize(joined=st.integers(20, 45))
    def start(self, joined: int) -> None:
        self.members = {m.person_id: m for m in MEMBERS}
        # Some people have not joined yet: they are not in the placement.
        self.placement = Placement({m.person_id: PLENARY for m in MEMBERS[:joined]})
        self.rounds: list[Round] = []
        self.room_of_round: dict[str, str] = {}
        self.now = NOW
        self.ids = itertools.count(1)
        self.moderator_view: dict[str, str] = dict(self.placement)
        self.room_views: dict[str, set[str]] = {PLENARY: set(self.placement)}

    # --- helpers ---------------------------------------------------------------------

    def active(self) -> Round | None:
        active = [r for r in self.rounds if r.is_active]
        assert len(active) <= 1, "two rounds open at once"
        return active[0] if active else None

    def pick_round(self, index: int) -> int:
        return index % len(self.rounds)

    def replace_round(self, position: int, new: Round) -> None:
        self.rounds[position] = new

    def tick(self, seconds: int = 7) -> None:
        self.now += timedelta(seconds=seconds)

    def allowed_rooms(self) -> set[str]:
        active = self.active()
        return {PLENARY} | (set(active.room_ids) if active else set())

    def apply_events(self, before: Placement, events: list[Event]) -> None:
        """Replay events one at a time; the invariants hold after each of them."""
        where = dict(before)
        for event in events:
            check_event(event)
            if not isinstance(event, RoomMoved):
                continue
            assert where.get(event.person_id, PLENARY) == event.from_room
            assert event.to_room in self.allowed_rooms(), "moved into a room that is not open"
            where[event.person_id] = event.to_room
            if MODERATORS in event.audience:
                self.moderator_view[event.person_id] = event.to_room
            for target in event.audience:
                if target.startswith("room:"):
                    room_id = target.removeprefix("room:")
                    view = self.room_views.setdefault(room_id, set())
                    if room_id == event.from_room:
                        view.discard(event.person_id)
                    if room_id == event.to_room:
                        view.add(event.person_id)
            assert f"person:{event.person_id}" in event.audience
        assert where == dict(self.placement), "events do not explain the new placement"

    def attempt(self, command, *args, **kwargs):
        """Run a command; a refusal must leave everything as it was."""
        snapshot = (list(self.rounds), dict(self.placement))
        try:
            return command(*args, **kwargs)
        except BreakoutError as error:
            assert error.kind in set(ErrorKind)
            assert error.detail
            assert (list(self.rounds), dict(self.placement)) == snapshot
            return None

    # --- rules -----------------------------------------------------------------------

    @rule(
        strategy=st.sampled_from(list(Strategy)),
        count=st.none() | st.integers(1, 6),
        duration_s=st.none() | st.integers(30, 3600),
        countdown_s=st.integers(0, 120),
        allow_return=st.booleans(),
        capacity=st.none() | st.integers(1, 12),
    )
    def create(self, strategy, count, duration_s, countdown_s, allow_return, capacity) -> None:
        rooms = None
        if count is None:
            rooms = [RoomDraft(d.name, d.languages, capacity) for d in kickoff_rooms()]
        number = next(self.ids)
        round_, events = create_round(
            round_id=f"round-{number}",
            session_id=SESSION_ID,
            strategy=strategy,
            members=list(self.members.values()),
            event_languages=EVENT_LANGUAGES,
            floor_language=FLOOR,
            now=self.now,
            count=count,
            rooms=rooms,
            duration_s=duration_s,
            countdown_s=countdown_s,
            allow_return=allow_return,
            new_room_id=lambda: f"room-{number}-{next(self.ids)}",
        )
        self.apply_events(self.placement, events)
        self.rounds.append(round_)
        self.room_of_round.update({room_id: round_.id for room_id in round_.room_ids})

    @precondition(lambda self: self.rounds)
    @rule(which=indexes, person=st.sampled_from(PERSON_IDS), room=indexes, to_plenary=st.booleans())
    def edit_plan(self, which, person, room, to_plenary) -> None:
        position = self.pick_round(which)
        round_ = self.rounds[position]
        target = None if to_plenary else round_.rooms[room % len(round_.rooms)].id
        result = self.attempt(plan_move, round_, person, target, self.members)
        if result:
            self.replace_round(position, result[0])
            self.apply_events(self.placement, result[1])

    @precondition(lambda self: self.rounds)
    @rule(which=indexes, a=st.sampled_from(PERSON_IDS), b=st.sampled_from(PERSON_IDS))
    def exchange(self, which, a, b) -> None:
        position = self.pick_round(which)
        result = self.attempt(plan_exchange, self.rounds[position], a, b, self.members)
        if result:
            self.replace_round(position, result[0])
            self.apply_events(self.placement, result[1])

    @precondition(lambda self: self.rounds)
    @rule(which=indexes, any_round=st.booleans())
    def open(self, which, any_round) -> None:
        planned = [i for i, r in enumerate(self.rounds) if r.status is RoundStatus.PLANNED]
        if planned and not any_round:
            position = planned[which % len(planned)]
        else:
            position = self.pick_round(which)
        round_ = self.rounds[position]
        was_active = self.active()
        before = self.placement
        result = self.attempt(
            open_round,
            round_,
            before,
            plenary_id=PLENARY,
            now=self.now,
            session_rounds=self.rounds,
        )
        if result is None:
            assert round_.status is not RoundStatus.PLANNED or was_active is not None
            return
        assert was_active is None
        new_round, self.placement, events = result
        self.replace_round(position, new_round)
        for person_id, room_id in new_round.plan.items():
            assert self.placement[person_id] == room_id, "a planned member was left behind"
        self.apply_events(before, events)
        self.tick()

    @rule(
        actor=st.sampled_from(PERSON_IDS[:45]),
        person=st.sampled_from(PERSON_IDS),
        destination=st.integers(0, 1000),
    )
    def move_someone(self, actor, person, destination) -> None:
        choices = [PLENARY, "room-of-another-session", *self.room_of_round]
        to_room = choices[destination % len(choices)]
        before = self.placement
        active = self.active()
        result = self.attempt(
            move,
            before,
            active,
            self.members[actor],
            person,
            to_room,
            PLENARY,
            members=self.members,
        )
        if result is None:
            return
        assert to_room in self.allowed_rooms(), "a move reached a room of another round"
        self.placement, events = result
        self.apply_events(before, events)

    @precondition(lambda self: self.active() is not None)
    @rule(seconds=st.integers(-600, 600))
    def extend(self, seconds) -> None:
        position = self.rounds.index(self.active())
        result = self.attempt(extend_round, self.rounds[position], seconds, now=self.now)
        if result:
            self.replace_round(position, result[0])
            self.apply_events(self.placement, result[1])

    @precondition(lambda self: self.active() is not None)
    @rule()
    def close(self) -> None:
        position = self.rounds.index(self.active())
        result = self.attempt(begin_close, self.rounds[position], now=self.now)
        if result:
            self.replace_round(position, result[0])
            self.apply_events(self.placement, result[1])

    @precondition(lambda self: self.active() is not None)
    @rule()
    def cancel_countdown(self) -> None:
        position = self.rounds.index(self.active())
        result = self.attempt(cancel_close, self.rounds[position], now=self.now)
        if result:
            self.replace_round(position, result[0])
            self.apply_events(self.placement, result[1])

    @precondition(lambda self: self.active() is not None)
    @rule()
    def finish(self) -> None:
        position = self.rounds.index(self.active())
        before = self.placement
        result = self.attempt(
            finish_close, self.rounds[position], before, plenary_id=PLENARY, now=self.now
        )
        if result:
            self.finished(position, before, result)

    def finished(self, position: int, before: Placement, result) -> None:
        new_round, self.placement, events = result
        self.replace_round(position, new_round)
        if new_round.status is RoundStatus.CLOSED:
            assert set(self.placement.values()) == {PLENARY}, "someone was lost at close"
        self.apply_events(before, events)

    @precondition(lambda self: self.rounds)
    @rule(which=indexes, stale=st.booleans(), finish_kind=st.booleans())
    def timer(self, which, stale, finish_kind) -> None:
        position = self.pick_round(which)
        round_ = self.rounds[position]
        timer = pending_timer(round_)
        if timer is None or stale:
            kind = TimerKind.FINISH if finish_kind else TimerKind.END
            timer = Timer(round_.id, kind, self.now - timedelta(seconds=1))
        self.now = max(self.now, timer.due)
        before = self.placement
        result = fire_timer(round_, before, timer, plenary_id=PLENARY, now=self.now)
        if result[0] is round_:
            assert result[2] == [] and result[1] is before
            return
        self.finished(position, before, result)

    @precondition(lambda self: self.rounds)
    @rule(which=indexes)
    def cancel(self, which) -> None:
        position = self.pick_round(which)
        result = self.attempt(cancel_round, self.rounds[position], now=self.now)
        if result:
            self.replace_round(position, result[0])
            self.apply_events(self.placement, result[1])

    @precondition(lambda self: any(r.status is RoundStatus.CLOSED for r in self.rounds))
    @rule()
    def recreate(self) -> None:
        old = next(r for r in self.rounds if r.status is RoundStatus.CLOSED)
        number = next(self.ids)
        new, events = recreate_round(
            old,
            f"round-{number}",
            now=self.now,
            new_room_id=lambda: f"room-{number}-{next(self.ids)}",
        )
        self.apply_events(self.placement, events)
        self.rounds.append(new)
        self.room_of_round.update({room_id: new.id for room_id in new.room_ids})

    @rule(person=st.sampled_from(PERSON_IDS[:45] + list(LATECOMERS)))
    def join(self, person) -> None:
        member = self.members.get(person) or LATECOMERS[person]
        self.members.setdefault(person, member)
        before = self.placement
        active = self.active()
        if active is None:
            if person not in before:
                self.placement = before.moved({person: PLENARY})
                self.simulate_presence(person)
            return
        self.placement, events = join_late(active, member, before, self.members, plenary_id=PLENARY)
        if person not in before:
            self.simulate_presence(person)
            before = before.moved({person: PLENARY})
        self.apply_events(before, events)

    def simulate_presence(self, person: str) -> None:
        """The server's presence.joined puts a first-timer in the plenary for everyone."""
        self.moderator_view[person] = PLENARY
        self.room_views.setdefault(PLENARY, set()).add(person)

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def everyone_is_in_exactly_one_open_room(self) -> None:
        allowed = self.allowed_rooms()
        for person_id, room_id in self.placement.items():
            assert room_id in allowed, f"{person_id} is in {room_id}, which is not open"
        if self.active() is None:
            assert set(self.placement.values()) <= {PLENARY}

    @invariant()
    def moderators_view_is_the_union_of_the_rooms_views(self) -> None:
        union: dict[str, str] = {}
        for room_id, people in self.room_views.items():
            for person_id in people:
                assert person_id not in union, f"{person_id} seen in two rooms"
                union[person_id] = room_id
        assert union == self.moderator_view == dict(self.placement)
        assert {r: set(p) for r, p in self.placement.by_room().items()} == {
            r: p for r, p in self.room_views.items() if p
        }

    @invariant()
    def staff_and_observers_are_never_planned(self) -> None:
        for round_ in self.rounds:
            for person_id in round_.plan:
                assert self.members[person_id].role is Role.PARTICIPANT


BreakoutSession.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestBreakoutSession = BreakoutSession.TestCase
