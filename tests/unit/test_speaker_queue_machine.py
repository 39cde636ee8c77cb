"""Property-based: random queue commands keep the speaker-queue rules
(``interpretation.speakers``), with the floor held by the real interpretation
state, as the server holds it.

- a person has at most one hand up;
- positions form a permutation (1..n, each hand once);
- ``floor.upcoming`` follows the contract's rule after every command (checked
  against the events seen so far, not against the queue's own memory);
- after a call, the room's floor language is the speaker's, and the Arabic
  booth's live interpreter works the retour.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from interpretation import (
    ChannelKey,
    add_person,
    apply,
    connection_changed,
    move_person,
    new_session,
)
from interpretation import speakers as sp
from interpretation.commands import GoOnAir, SetFloor

from .test_interpretation_helpers import T0, P

PEOPLE = ("tn", "ge", "de", "ua", "jo")
LANGS = ("en", "ar", "ru")


class SpeakerQueue(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        state = new_session(P, "en", ["ar", "ru"], T0)
        state = add_person(state, "A1", T0, interprets=("en>ar", "ar>en")).state
        state = move_person(state, "A1", P, T0).state
        state = connection_changed(state, "A1", True, T0).state
        self.interp = apply(state, GoOnAir("A1", P, "ar"), T0).state
        self.q = sp.Queue(P)
        self.ids = (f"h{i}" for i in itertools.count())
        self.last: tuple[str | None, str | None] | None = None  # per the events seen
        self.events: list = []

    @property
    def floor(self) -> str:
        return self.interp.rooms[P].floor_language

    def after(self, events) -> None:
        """What the server's follower does after every command, then the rule's check."""
        before_last = self.last
        self.q, upcoming = sp.announce(self.q, self.floor)
        head = self.q.hands[0] if self.q.hands else None
        key = (head.id, head.language) if head else None
        expected = []
        if key != before_last:
            if head is not None and head.language != self.floor:
                expected = [(head.id, head.language)]
            elif before_last is not None and before_last[1] is not None:
                expected = [(head.id if head else None, None)]
        got = [(e.hand_id, e.language) for e in upcoming]
        assert got == expected, (got, expected, key, before_last, self.floor)
        for e in upcoming:
            assert e.audience == (sp.MODERATORS, f"interpreters:{P}")
            self.last = (e.hand_id, e.language)
        self.events = [*events, *upcoming]

    @rule(person=st.sampled_from(PEOPLE), language=st.sampled_from(LANGS))
    def raise_hand(self, person, language):
        had = self.q.hand_of(person)
        self.q, events, hand = sp.raise_hand(
            self.q, sp.Hand(next(self.ids), person, person.upper(), language, T0)
        )
        if had is not None:
            assert hand.id == had.id and self.q.position(had.id) == self.q.position(hand.id)
            assert [e.type for e in events] == (
                [] if had.language == language else ["hand.changed"]
            )
        else:
            assert [e.type for e in events] == ["hand.raised"]
        assert hand.language == language
        self.after(events)

    @precondition(lambda self: self.q.hands)
    @rule(data=st.data(), reason=st.sampled_from(["lowered", "dismissed", "moved", "left"]))
    def lower(self, data, reason):
        h = data.draw(st.sampled_from(self.q.hands))
        self.q, events = sp.lower(self.q, h.id, reason)
        assert [(e.type, e.hand_id, e.reason) for e in events] == [("hand.lowered", h.id, reason)]
        self.after(events)

    @precondition(lambda self: self.q.hands)
    @rule(data=st.data())
    def reorder(self, data):
        ids = [h.id for h in self.q.hands]
        order = data.draw(st.permutations(ids))
        self.q, events = sp.reorder(self.q, list(order))
        assert [h.id for h in self.q.hands] == list(order)
        self.after(events)

    @precondition(lambda self: len(self.q.hands) > 1)
    @rule(data=st.data())
    def reorder_refused(self, data):
        ids = [h.id for h in self.q.hands]
        bad = data.draw(st.sampled_from([ids[:-1], [*ids, ids[0]], [*ids[:-1], "nope"]]))
        before = self.q
        try:
            sp.reorder(self.q, bad)
        except sp.QueueError as exc:
            assert exc.kind == ("not_found" if "nope" in bad else "conflict")
        else:
            raise AssertionError("a list that is not the queue was accepted")
        assert self.q == before

    @precondition(lambda self: self.q.hands)
    @rule(data=st.data())
    def call(self, data):
        h = data.draw(st.sampled_from(self.q.hands))
        was_live = any(c.on_air == "A1" for c in self.interp.channels.values())
        self.q, events, set_floor = sp.call(self.q, h.id, self.floor)
        assert [e.type for e in events] == ["hand.lowered", "speaker.called"]
        if set_floor is not None:
            self.interp = apply(self.interp, set_floor, T0).state
        assert self.floor == h.language
        assert self.interp.channels[ChannelKey(P, h.language)].source.kind == "floor"
        for key, ch in self.interp.channels.items():
            if ch.live:  # the booth works only where it can: retour or relay, never the floor
                assert key.language != self.floor
                assert f"{ch.source.language}>{key.language}" in ("en>ar", "ar>en")
        if h.language == "ar" and was_live:  # Arabic on the floor: the booth's retour
            assert self.interp.channels[ChannelKey(P, "en")].on_air == "A1"
        self.after(events)

    @rule(language=st.sampled_from(LANGS))
    def floor_changed_by_hand(self, language):
        """A moderator's PUT /floor: the queue is checked again after it."""
        self.interp = apply(self.interp, SetFloor(P, language), T0).state
        self.after([])

    @invariant()
    def one_hand_per_person(self):
        people = [h.person_id for h in self.q.hands]
        assert len(people) == len(set(people))

    @invariant()
    def positions_are_a_permutation(self):
        ids = [h.id for h in self.q.hands]
        assert len(set(ids)) == len(ids)
        assert sorted(self.q.position(i) for i in ids) == list(range(1, len(ids) + 1))
        raised = [e for e in self.events if e.type == "hand.raised"]
        for e in raised:
            assert e.position == self.q.position(e.hand_id)


SpeakerQueue.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_speaker_queue_rules = SpeakerQueue.TestCase
