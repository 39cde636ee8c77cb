"""Property-based: languages added and dropped late, listening choices and arrivals.

Everyone hears the language they asked for (their ``language`` when they were
added, or their last accepted ``PUT /listening``) wherever their room has that
channel, else the event's floor-language channel; every change of what they hear
reaches them as ``listening.changed``; the counts equal the listeners.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from interpretation import ChannelKey, InterpretationError, apply, channels_view, new_session
from interpretation.commands import (
    AddPerson,
    CloseRoom,
    MovePerson,
    OpenRoom,
    SetLanguages,
    SetListening,
)

from .test_interpretation_helpers import T0, P

LANGS = ["ar", "ru", "de", "fr"]
PEOPLE = ["p1", "p2", "p3", "p4", "p5"]
BREAKOUTS = {"G1": ("ar",), "G2": ("ru", "de")}


class LateLanguages(RuleBasedStateMachine):
    @initialize(languages=st.lists(st.sampled_from(LANGS), unique=True, max_size=3))
    def setup(self, languages):
        self.state = new_session(P, "en", languages, T0)
        self.requested: dict[str, str] = {}  # what each person asked for, by this test
        self.told: dict[str, str] = {}  # what each person was last told they hear

    def do(self, command):
        try:
            outcome = apply(self.state, command, T0)
        except InterpretationError:
            return False
        for event in outcome.events:
            if event.type == "listening.changed":
                self.told[event.person_id] = event.language
        self.state = outcome.state
        return True

    @rule(pid=st.sampled_from(PEOPLE), lang=st.sampled_from(["en", *LANGS]))
    def arrives(self, pid, lang):
        if pid not in self.state.members and self.do(AddPerson(pid, listening=lang)):
            self.requested[pid] = lang
            self.told[pid] = self.state.members[pid].listening  # the first snapshot says it
            self.do(MovePerson(pid, P))

    @rule(pid=st.sampled_from(PEOPLE), lang=st.sampled_from(["en", *LANGS]))
    def chooses(self, pid, lang):
        if pid in self.state.members and self.do(SetListening(pid, lang)):
            self.requested[pid] = lang

    @rule(languages=st.lists(st.sampled_from(LANGS), unique=True, max_size=4))
    def patch_languages(self, languages):
        self.do(SetLanguages(tuple(languages)))

    @rule(pid=st.sampled_from(PEOPLE), room=st.sampled_from([P, *BREAKOUTS]))
    def moves(self, pid, room):
        self.do(MovePerson(pid, room))

    @rule(room=st.sampled_from(list(BREAKOUTS)))
    def toggle_room(self, room):
        if room in self.state.rooms:
            self.do(CloseRoom(room))
        else:
            langs = tuple(lg for lg in BREAKOUTS[room] if lg in self.state.event_languages)
            self.do(OpenRoom(room, langs))

    @invariant()
    def everyone_hears_their_request_where_their_room_has_it(self):
        s = self.state
        for pid, requested in self.requested.items():
            member = s.members[pid]
            has_channel = ChannelKey(member.room_id, requested) in s.channels
            expected = requested if has_channel else s.floor_language
            assert member.listening == expected, (pid, requested, member.room_id)
            assert self.told[pid] == expected, f"{pid} was not told they hear {expected}"

    @invariant()
    def counts_equal_the_listeners(self):
        for room in channels_view(self.state)["rooms"]:
            here = [m for m in self.state.members.values() if m.room_id == room["room_id"]]
            for channel in room["channels"]:
                heard = sum(m.listening == channel["language"] for m in here)
                assert channel["listeners"] == heard, (room["room_id"], channel)


LateLanguages.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_late_languages = LateLanguages.TestCase
