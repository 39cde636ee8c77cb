"""Property-based: random command sequences keep the interpretation invariants.

- never two live interpreters on one channel, an interpreter never live on two
  channels (also between two events of one step);
- a handover never leaves a listened channel without a source between two events;
- every channel's source is consistent with the room's floor language and the
  live interpreters' directions (checked from the rule, not by recomputing it);
- people hear their chosen language wherever their room has it, else the floor;
- a listened channel that loses its source is announced (``channel.uncovered``)
  before the ``channel.updated`` that takes the source away;
- listener counts equal the people listening;
- a client applying the events ends where a fresh snapshot is (``verify_action``).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from interpretation import (
    ChannelKey,
    ErrorKind,
    InterpretationError,
    add_person,
    apply,
    channels_view,
    connection_changed,
    move_person,
    new_session,
    open_room,
    pending_timers,
)
from interpretation.commands import (
    AcceptHandover,
    AddLanguage,
    CloseRoom,
    ConnectionChanged,
    DropLanguage,
    GoOffAir,
    GoOnAir,
    MovePerson,
    OpenRoom,
    RequestHandover,
    SetFloor,
    SetLanguages,
    SetListening,
    TurnCheck,
)
from interpretation.serialization import from_dict, to_dict
from interpretation.views import all_listener_counts
from tests.support.interpretation_cast import (
    BREAKOUTS,
    INTERPRETERS,
    LANGS,
    PARTICIPANTS,
    PEOPLE,
    ROOMS,
    routing,
)

from .test_interpretation_helpers import T0, P


class Interpretation(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.now = T0
        state = new_session(P, "en", ["ar", "ru"], T0)
        for room_id, langs in BREAKOUTS.items():
            state = open_room(state, room_id, [lg for lg in langs if lg != "de"], T0).state
        for pid, dirs in INTERPRETERS.items():
            state = add_person(state, pid, T0, interprets=dirs).state
        for pid, lang in PARTICIPANTS.items():
            state = add_person(state, pid, T0, listening=lang).state
        for pid in [*INTERPRETERS, *PARTICIPANTS]:
            state = move_person(state, pid, P, T0).state
            state = connection_changed(state, pid, True, T0).state
        self.state = state
        self.client = {}
        self.floors = {}
        for room in channels_view(state)["rooms"]:
            self.floors[room["room_id"]] = room["floor_language"]
            for ch in room["channels"]:
                self.client[(room["room_id"], ch["language"])] = routing(ch)

    # -- driving ----------------------------------------------------------------------

    def do(self, command):
        before = to_dict(self.state)
        try:
            outcome = apply(self.state, command, self.now)
        except InterpretationError as error:
            assert error.kind in set(ErrorKind) and error.detail
            assert to_dict(self.state) == before, "a rejected command changed the state"
            return
        counts = all_listener_counts(self.state)
        watched = (
            {
                key
                for key, ch in self.state.channels.items()
                if counts[key] > 0 and ch.source is not None
            }
            if isinstance(command, AcceptHandover)
            else set()
        )
        announced = set()
        for event in outcome.events:
            data = event.data()
            if event.type == "channel.uncovered":
                announced.add((data["room_id"], data["language"]))
            elif event.type == "channel.updated" and not data["removed"]:
                key = (data["room_id"], data["channel"]["language"])
                had = self.client.get(key, {}).get("source")
                if had is not None and data["channel"]["source"] is None:
                    if data["channel"]["listeners"] > 0:
                        assert key in announced, f"{key} went silent before the moderators knew"
            self.apply_to_client(event)
            for key in watched:
                if key in self.client:
                    assert self.client[key]["source"] is not None, (
                        f"handover left listened {key} without a source"
                    )
        self.state = outcome.state

    def apply_to_client(self, event):
        data = event.data()
        if event.type == "channel.updated":
            key = (data["room_id"], data["channel"]["language"])
            if data["removed"]:
                self.client.pop(key, None)
                if not any(room_id == key[0] for room_id, _ in self.client):
                    self.floors.pop(key[0], None)
            else:
                self.client[key] = routing(data["channel"])
        elif event.type == "floor.language":
            self.floors[data["room_id"]] = data["language"]
        live = Counter(ch["on_air"] for ch in self.client.values() if ch["on_air"])
        assert all(n == 1 for n in live.values()), f"live on two channels after {event}"

    def room_of(self, pid):
        member = self.state.members.get(pid)
        return member.room_id if member and member.room_id else P

    # -- rules ------------------------------------------------------------------------

    @rule(seconds=st.integers(1, 900))
    def tick(self, seconds):
        self.now += timedelta(seconds=seconds)

    @rule(
        pid=st.sampled_from(PEOPLE),
        lang=st.sampled_from(LANGS),
        here=st.booleans(),
        room=st.sampled_from(ROOMS),
    )
    def on_air(self, pid, lang, here, room):
        self.do(GoOnAir(pid, self.room_of(pid) if here else room, lang))

    @rule(pid=st.sampled_from(PEOPLE), lang=st.sampled_from(LANGS))
    def off_air(self, pid, lang):
        self.do(GoOffAir(pid, self.room_of(pid), lang))

    @rule(pid=st.sampled_from(PEOPLE), to=st.sampled_from(PEOPLE), lang=st.sampled_from(LANGS))
    def request(self, pid, to, lang):
        self.do(RequestHandover(pid, to, self.room_of(pid), lang))

    @rule(pid=st.sampled_from(PEOPLE), lang=st.sampled_from(LANGS), delay=st.integers(0, 40))
    def accept(self, pid, lang, delay):
        self.now += timedelta(seconds=delay)
        self.do(AcceptHandover(pid, self.room_of(pid), lang))

    @rule(data=st.data())
    def accept_pending(self, data):
        if self.state.handovers:
            request = data.draw(
                st.sampled_from(sorted(self.state.handovers.values(), key=lambda r: r.request_id))
            )
            self.do(AcceptHandover(request.to_id, request.room_id, request.language))

    # Rules aimed at what is possible now, so that handovers really happen.

    def live_channels(self):
        return sorted((ch for ch in self.state.channels.values() if ch.on_air), key=lambda c: c.key)

    @rule(data=st.data())
    def booth_member_on_air(self, data):
        key = data.draw(st.sampled_from(sorted(self.state.channels)))
        booth = sorted(
            pid
            for pid, i in self.state.interpreters.items()
            if i.works_into(key.language) and self.state.members[pid].room_id == key.room_id
        )
        if booth:
            self.do(GoOnAir(data.draw(st.sampled_from(booth)), key.room_id, key.language))

    @rule(data=st.data())
    def live_one_goes_off_air(self, data):
        if live := self.live_channels():
            ch = data.draw(st.sampled_from(live))
            self.do(GoOffAir(ch.on_air, ch.room_id, ch.language))

    @rule(data=st.data(), accept=st.booleans())
    def live_one_asks_a_partner(self, data, accept):
        if live := self.live_channels():
            ch = data.draw(st.sampled_from(live))
            partners = sorted(
                pid
                for pid, i in self.state.interpreters.items()
                if i.works_into(ch.language) and pid != ch.on_air
            ) or sorted(INTERPRETERS)
            to = data.draw(st.sampled_from(partners))
            self.do(RequestHandover(ch.on_air, to, ch.room_id, ch.language))
            if accept and ch.key in self.state.handovers:
                self.do(AcceptHandover(to, ch.room_id, ch.language))

    @rule(room=st.sampled_from(ROOMS), lang=st.sampled_from(LANGS))
    def floor(self, room, lang):
        self.do(SetFloor(room, lang))

    @rule(pid=st.sampled_from(PEOPLE), lang=st.sampled_from(LANGS))
    def listen(self, pid, lang):
        self.do(SetListening(pid, lang))

    @rule(pid=st.sampled_from(PEOPLE), room=st.sampled_from(ROOMS))
    def move(self, pid, room):
        self.do(MovePerson(pid, room))

    @rule(pid=st.sampled_from(PEOPLE), online=st.booleans())
    def connection(self, pid, online):
        self.do(ConnectionChanged(pid, online))

    @rule()
    def next_timer(self):
        timers = pending_timers(self.state)
        if timers:
            self.now = max(self.now, timers[0].due)
            self.do(timers[0].command)

    @rule()
    def turn_check(self):
        self.do(TurnCheck())

    @rule(add=st.booleans(), lang=st.sampled_from(["de", "ru", "en", "fr"]))
    def languages(self, add, lang):
        self.do(AddLanguage(lang) if add else DropLanguage(lang))

    @rule(languages=st.lists(st.sampled_from(["ar", "ru", "de", "fr"]), unique=True))
    def patch_languages(self, languages):
        """One PATCH may add and drop several languages at once."""
        self.do(SetLanguages(tuple(languages)))

    @rule(room=st.sampled_from(list(BREAKOUTS)))
    def toggle_room(self, room):
        if room in self.state.rooms:
            self.do(CloseRoom(room))
        else:
            self.do(
                OpenRoom(
                    room, tuple(lg for lg in BREAKOUTS[room] if lg in self.state.event_languages)
                )
            )

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def an_interpreter_is_live_on_one_channel_at_most(self):
        live = Counter(ch.on_air for ch in self.state.channels.values() if ch.on_air)
        assert all(n == 1 for n in live.values())

    @invariant()
    def live_interpreters_can_be_live_there(self):
        for key, ch in self.state.channels.items():
            if ch.on_air is None:
                continue
            assert self.state.members[ch.on_air].room_id == key.room_id
            assert self.state.interpreters[ch.on_air].works_into(key.language)
            assert key.language != self.state.rooms[key.room_id].floor_language

    @invariant()
    def channels_are_those_the_rooms_call_for(self):
        wanted = {
            ChannelKey(room_id, lang)
            for room_id in self.state.rooms
            for lang in self.state.room_languages(room_id)
        }
        assert set(self.state.channels) == wanted

    @invariant()
    def sources_follow_the_floor_and_the_live_directions(self):
        """Checked from the rule itself, not by recomputing with ``compute_sources``."""
        s = self.state
        for room_id, room in s.rooms.items():
            floor = room.floor_language
            channels = {lang: s.channels[(room_id, lang)] for lang in s.room_languages(room_id)}
            live = {lang: s.interpreters[ch.on_air] for lang, ch in channels.items() if ch.on_air}
            sourced = {lang for lang, ch in channels.items() if ch.source is not None}
            # what a relay may take: the floor, or a channel interpreted from it (one hop)
            heard = {
                lang for lang in sourced if channels[lang].source.kind in ("floor", "interpreter")
            }
            for lang, ch in channels.items():
                source = ch.source
                where = f"{room_id}/{lang} (floor {floor}): {source}"
                if lang == floor:
                    # the floor-language channel carries the floor itself, nobody else does
                    assert source is not None and source.kind == "floor", where
                    assert source.language == floor, where
                    continue
                assert source is None or source.kind != "floor", where
                interpreter = live.get(lang)
                if interpreter is None:
                    # no voice, no source: nobody hears a channel that nobody speaks
                    assert source is None, where
                    continue
                if interpreter.can(floor, lang):
                    # who hears the floor interprets it directly
                    assert source is not None and source.kind == "interpreter", where
                if source is None:
                    # uncovered only when the live interpreter hears nothing on offer
                    assert not any(interpreter.can(other, lang) for other in heard), where
                elif source.kind == "interpreter":
                    assert source.language == floor and interpreter.can(floor, lang), where
                else:
                    # a relay takes a channel of this room interpreted from the floor (never
                    # a relay of a relay, so no cycles) that the interpreter hears
                    assert source.language in channels and source.language != lang, where
                    assert channels[source.language].source.kind == "interpreter", where
                    assert interpreter.can(source.language, lang), where

    @invariant()
    def people_hear_their_choice_where_the_room_has_it(self):
        s = self.state
        for member in s.members.values():
            if member.chosen is None:
                assert member.listening is None
                continue
            if member.room_id is None:
                heard = member.chosen if member.chosen in s.event_languages else s.floor_language
                assert member.listening == heard
            elif ChannelKey(member.room_id, member.chosen) in s.channels:
                assert member.listening == member.chosen
            else:
                assert member.listening == s.floor_language

    @invariant()
    def listener_counts_equal_the_people_listening(self):
        view = channels_view(self.state)
        for room in view["rooms"]:
            langs = {ch["language"] for ch in room["channels"]}
            here = [m for m in self.state.members.values() if m.room_id == room["room_id"]]
            for member in here:
                assert member.listening is None or member.listening in langs
            for ch in room["channels"]:
                assert ch["listeners"] == sum(m.listening == ch["language"] for m in here)

    @invariant()
    def events_bring_a_client_to_the_snapshot(self):
        fresh = {}
        floors = {}
        for room in channels_view(self.state)["rooms"]:
            floors[room["room_id"]] = room["floor_language"]
            for ch in room["channels"]:
                fresh[(room["room_id"], ch["language"])] = routing(ch)
        assert self.client == fresh
        # A room that opens speaks the event floor language until told otherwise.
        for room_id in floors:
            assert self.floors.get(room_id, self.state.floor_language) == floors[room_id]

    @invariant()
    def pending_handovers_are_possible(self):
        for key, request in self.state.handovers.items():
            on_air = self.state.channels[key].on_air
            if request.reason == "request":
                assert on_air == request.from_id
            else:
                assert on_air is None
            assert self.state.members[request.to_id].room_id == key.room_id

    @invariant()
    def state_survives_storage(self):
        assert from_dict(to_dict(self.state)) == self.state


Interpretation.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # explaining a failure traces every line of the replay: it outlasted the test's
    # timeout, and the report came out as a timeout instead of the failing steps
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
test_interpretation_invariants = Interpretation.TestCase
