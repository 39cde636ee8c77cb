"""A mutable working copy of the state, and the one place a transition ends.

Commands validate first, then change a ``Draft``; ``finish`` re-derives what
follows from the rules (channel sets, what each listener hears, sources, stale
handovers) and turns the difference between before and after into events. So
every command announces channel changes the same way, and the stored sources
are always what ``compute_sources`` says.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import replace
from datetime import datetime

from domain.audience import MODERATORS, SESSION, person, persons

from .events import (
    RESTORED,
    ChannelUncovered,
    ChannelUpdated,
    Event,
    HandoverCancelled,
    ListeningChanged,
    channel_audience,
)
from .hearing import heard_language
from .outcome import Outcome
from .samples import add_samples
from .sources import compute_sources
from .state import (
    Channel,
    ChannelKey,
    HandoverRequest,
    ListenerSample,
    Live,
    OnAirSegment,
    ResolvedHandover,
    SessionInterpretation,
    with_samples,
)
from .views import ChannelView, all_listener_counts, channel_view


class Draft:
    def __init__(self, state: SessionInterpretation, now: datetime) -> None:
        self.before = state
        self.now = now
        self.floor_language = state.floor_language
        self.languages = state.languages
        self.rooms = dict(state.rooms)
        self.channels = dict(state.channels)
        self.interpreters = dict(state.interpreters)
        self.members = dict(state.members)
        self.handovers = dict(state.handovers)
        self.resolved = dict(state.resolved)
        self.dropouts = dict(state.dropouts)
        self.segments = list(state.segments)
        self.samples = list(state.samples)
        self.handover_count = state.handover_count
        self.settings = state.settings
        self.cancelled: list[Event] = []

    # -- building -------------------------------------------------------------

    def freeze(self) -> SessionInterpretation:
        return SessionInterpretation(
            plenary_id=self.before.plenary_id,
            floor_language=self.floor_language,
            languages=self.languages,
            rooms=self.rooms,
            channels=self.channels,
            interpreters=self.interpreters,
            members=self.members,
            handovers=self.handovers,
            resolved=self.resolved,
            dropouts=self.dropouts,
            segments=tuple(self.segments),
            samples=tuple(self.samples),
            handover_count=self.handover_count,
            settings=self.settings,
        )

    def room_languages(self, room_id: str) -> tuple[str, ...]:
        room = self.rooms[room_id]
        if room.kind == "plenary":
            return (self.floor_language, *self.languages)
        return (self.floor_language, *(lang for lang in self.languages if lang in room.carries))

    # -- on air ---------------------------------------------------------------

    def live_key_of(self, person_id: str) -> ChannelKey | None:
        for key, channel in self.channels.items():
            if channel.on_air == person_id:
                return key
        return None

    def live_keys(self) -> dict[str, ChannelKey]:
        """Who is live where, for steps that move many people (one pass, not one per
        person)."""
        return {ch.on_air: key for key, ch in self.channels.items() if ch.on_air is not None}

    def go_live(self, key: ChannelKey, person_id: str, carry: Live | None = None) -> None:
        """Put ``person_id`` on air; ``carry`` keeps a moving interpreter's turn."""
        assert self.channels[key].live is None and self.live_key_of(person_id) is None
        live = Live(
            person_id,
            self.now,
            carry.turn_since if carry else self.now,
            carry.turns_due if carry else 0,
        )
        self.channels[key] = replace(self.channels[key], live=live)

    def go_off(self, key: ChannelKey) -> Live | None:
        """Take whoever is live off air, closing their accounting segment."""
        live = self.channels[key].live
        if live is None:
            return None
        if self.now > live.since:
            self.segments.append(
                OnAirSegment(live.person_id, key.room_id, key.language, live.since, self.now)
            )
        self.channels[key] = replace(self.channels[key], live=None)
        return live

    # -- handovers ------------------------------------------------------------

    def new_request_id(self) -> str:
        self.handover_count += 1
        return f"h{self.handover_count}"

    def resolve(self, request: HandoverRequest, outcome: str) -> None:
        del self.handovers[request.key]
        self.resolved[request.key] = ResolvedHandover(
            request.request_id,
            request.to_id,
            outcome,  # type: ignore[arg-type]
            self.now,
        )

    def cancel(self, request: HandoverRequest, reason: str) -> None:
        self.resolve(request, "cancelled")
        self.cancelled.append(
            HandoverCancelled(
                request.request_id,
                request.room_id,
                request.language,
                request.from_id,
                request.to_id,
                reason,
                persons(request.to_id, request.from_id),
            )
        )

    # -- consequences -----------------------------------------------------------

    def sync_channels(self) -> None:
        """Make the channels exactly those the rooms and event languages call for."""
        wanted = {
            ChannelKey(room_id, lang)
            for room_id in self.rooms
            for lang in self.room_languages(room_id)
        }
        for key in [k for k in self.channels if k not in wanted]:
            self.go_off(key)
            del self.channels[key]
        for key in sorted(wanted - self.channels.keys()):
            self.channels[key] = Channel(key.room_id, key.language)

    def settle_listeners(self, reason: str) -> list[Event]:
        """Everyone hears their chosen language where their room has that channel,
        else the event floor language (``hearing``); each change is told
        (``listening.changed``: with ``fallback_reason`` when it is not their choice,
        ``reason`` ``channel_available`` when they get their choice back). The choice
        is kept even while the event has no channel for it (a language dropped and
        added again, or added late, brings its people back)."""
        events: list[Event] = []
        event_languages = {self.floor_language, *self.languages}
        channels, floor = self.channels, self.floor_language
        for pid, member in list(self.members.items()):
            chosen = member.chosen
            if chosen is None:
                continue
            if member.room_id is None:
                available: Container[str] = event_languages
            else:  # a plain tuple finds a ChannelKey (same hash), built at half the cost
                available = (chosen,) if (member.room_id, chosen) in channels else ()
            heard = heard_language(chosen, available, floor)
            if heard == member.listening:
                continue
            self.members[pid] = member.hearing(heard)
            if heard != chosen:
                told = ListeningChanged(pid, member.room_id, heard, reason, chosen, (person(pid),))
            else:
                told = ListeningChanged(
                    pid, member.room_id, heard, None, None, (person(pid),), reason=RESTORED
                )
            events.append(told)
        return events

    def recompute_sources(self) -> None:
        # rooms alike (floor, channels, who is live) have the same sources: a round's
        # hundred rooms nobody interprets in are computed once
        known: dict[tuple, dict] = {}
        for room_id, room in self.rooms.items():
            langs = self.room_languages(room_id)
            live = {}
            for lang in langs:
                on_air = self.channels[ChannelKey(room_id, lang)].on_air
                if on_air is not None:
                    live[lang] = self.interpreters[on_air]
            alike = (room.floor_language, langs, tuple(live.items()))
            sources = known.get(alike)
            if sources is None:
                sources = known[alike] = compute_sources(
                    room.floor_language, langs, live, pivot=self.floor_language
                )
            for lang, source in sources.items():
                key = ChannelKey(room_id, lang)
                if self.channels[key].source != source:
                    self.channels[key] = replace(self.channels[key], source=source)

    def drop_stale_handovers(self) -> None:
        for key, request in list(self.handovers.items()):
            channel = self.channels.get(key)
            partner = self.members.get(request.to_id)
            if channel is None:
                self.cancel(request, "channel_removed")
            elif key.language == self.rooms[key.room_id].floor_language:
                # the channel now carries the floor itself: nobody may go live on it
                self.cancel(request, "floor_changed")
            elif request.reason == "request" and channel.on_air != request.from_id:
                self.cancel(request, "requester_off_air")
            elif request.reason == "dropout" and channel.on_air is not None:
                self.cancel(request, "covered")
            elif partner is None or partner.room_id != request.room_id:
                self.cancel(request, "partner_left_room")
        for pid, dropout in list(self.dropouts.items()):
            channel = self.channels.get(ChannelKey(dropout.room_id, dropout.language))
            if channel is None or channel.on_air != pid:
                del self.dropouts[pid]


def finish(
    draft: Draft,
    *,
    uncovered_reason: str,
    fallback_reason: str = "no_channel_in_room",
    before: Iterable[Event] = (),
    after: Iterable[Event] = (),
    announce_all_uncovered: bool = False,
    announce: Iterable[ChannelKey] = (),
) -> Outcome:
    """Settle the draft and describe the change as events.

    Order: the command's own leading events; ``channel.updated`` for every
    channel whose on-air person, source or booth changed, appeared or went
    away (those someone left first); fallbacks and cancelled handovers; the
    command's trailing events. ``channel.uncovered`` goes to the moderators for
    listened channels left without a source (every listened uncovered one with
    ``announce_all_uncovered``, and the ``announce`` ones even unlistened): just
    before the ``channel.updated`` that takes the channel's source away, so
    they hear of it before anyone hears silence; at the end when no
    ``channel.updated`` of that channel goes out (e.g. a listener joins an
    uncovered channel).
    """
    draft.sync_channels()
    fallbacks = draft.settle_listeners(fallback_reason)
    draft.recompute_sources()
    draft.drop_stale_handovers()
    old = draft.before
    old_counts = all_listener_counts(old)
    new_state = draft.freeze()
    new_counts = all_listener_counts(new_state)

    updated: list[Event] = []
    for key in old.channels:
        if key not in new_state.channels:
            gone = ChannelView.removed(key.language)
            updated.append(
                ChannelUpdated(key.room_id, gone, True, channel_audience(old, key.room_id))
            )
    reboothed = booths_changed(old, new_state)
    for room_id in new_state.rooms:
        audience = channel_audience(new_state, room_id)
        if room_id not in old.rooms and audience != (SESSION,):
            audience = (MODERATORS,)  # its members hear of it with their room.moved
        for lang in new_state.room_languages(room_id):
            key = ChannelKey(room_id, lang)
            was, channel = old.channels.get(key), new_state.channels[key]
            if was is not None and room_id not in reboothed and (was is channel or was == channel):
                continue  # same on air, source and booth: the same routing
            view = channel_view(new_state, key, new_counts)
            if key not in old.channels or (
                channel_view(old, key, old_counts).routing() != view.routing()
            ):
                updated.append(ChannelUpdated(room_id, view, audience=audience))

    # At no seq is anyone live on two channels: channels someone leaves go first, and a
    # channel someone joins comes after the one they leave (a swap first shows one of
    # its channels vacated).
    updated.sort(key=lambda e: not _someone_left(old, e))  # type: ignore[arg-type]
    updated = _leaves_before_joins(old, updated, uncovered_reason)  # type: ignore[arg-type]

    forced = set(announce)
    uncovered: dict[ChannelKey, Event] = {}
    for room_id in new_state.rooms:
        for lang in new_state.room_languages(room_id):
            key = ChannelKey(room_id, lang)
            if new_state.channels[key].source is not None:
                continue
            listened = new_counts[key] > 0
            was_uncovered = key in old.channels and (
                old.channels[key].source is None and old_counts[key] > 0
            )
            if key in forced or (listened and (announce_all_uncovered or not was_uncovered)):
                uncovered[key] = ChannelUncovered(room_id, lang, new_counts[key], uncovered_reason)

    samples = [
        ListenerSample(draft.now, key.room_id, key.language, n)
        for key, n in new_counts.items()
        if old_counts.get(key) != n
    ] + [
        ListenerSample(draft.now, key.room_id, key.language, 0)
        for key, n in old_counts.items()
        if key not in new_counts and n
    ]
    if samples:
        new_state = with_samples(new_state, add_samples(new_state.samples, samples))

    routed: list[Event] = []
    for event in updated:
        if isinstance(event, ChannelUpdated) and not event.removed:
            announced = uncovered.pop(ChannelKey(event.room_id, event.channel.language), None)
            if announced is not None:
                routed.append(announced)
        routed.append(event)

    events = [
        *before,
        *routed,
        *fallbacks,
        *draft.cancelled,
        *after,
        *uncovered.values(),
    ]
    return Outcome(new_state, events)


def booths_changed(old: SessionInterpretation, new: SessionInterpretation) -> set[str | None]:
    """Rooms whose booths may differ (``views.booth``): those an interpreter left or
    entered, or is in with other directions. Elsewhere a channel that did not change
    has the routing it had, which spares building two views of each of a round's
    channels in every step."""
    rooms: set[str | None] = set()
    for pid in old.interpreters.keys() | new.interpreters.keys():
        was, now = old.members.get(pid), new.members.get(pid)
        was_in, now_in = (was.room_id if was else None), (now.room_id if now else None)
        if was_in != now_in or old.interpreters.get(pid) != new.interpreters.get(pid):
            rooms.update((was_in, now_in))
    return rooms


def _someone_left(old: SessionInterpretation, event: ChannelUpdated) -> bool:
    before = old.channels.get(ChannelKey(event.room_id, event.channel.language))
    return before is not None and before.on_air not in (None, event.channel.on_air)


def _leaves_before_joins(
    old: SessionInterpretation, updated: list[ChannelUpdated], reason: str
) -> list[Event]:
    """Order ``updated`` so that each interpreter's arrival on a channel comes after
    the update that takes them off their previous one (stable otherwise). When
    interpreters swap channels, one channel of the cycle is first shown vacated
    (and announced, if listened: for that instant nobody speaks there)."""

    def key(e: ChannelUpdated) -> ChannelKey:
        return ChannelKey(e.room_id, e.channel.language)

    def was_live(e: ChannelUpdated) -> str | None:
        before = old.channels.get(key(e))
        return before.on_air if before is not None else None

    leaving = {
        was_live(e): key(e)
        for e in updated
        if was_live(e) is not None and was_live(e) != e.channel.on_air
    }
    left: set[ChannelKey] = set()

    def blocked(e: ChannelUpdated) -> bool:
        joining = e.channel.on_air
        return (
            joining is not None
            and joining != was_live(e)
            and joining in leaving
            and leaving[joining] not in left
        )

    pending, ordered = list(updated), []
    while pending:
        ready = next((e for e in pending if not blocked(e)), None)
        if ready is None:  # a cycle: vacate its first channel
            e = pending[0]
            vacated = replace(
                e.channel,
                on_air=None,
                source=None,
                booth=tuple(replace(seat, live=False) for seat in e.channel.booth),
            )
            if e.channel.listeners:
                ordered.append(
                    ChannelUncovered(e.room_id, e.channel.language, e.channel.listeners, reason)
                )
            ordered.append(replace(e, channel=vacated))
            left.add(key(e))
            continue
        pending.remove(ready)
        ordered.append(ready)
        left.add(key(ready))
    return ordered
