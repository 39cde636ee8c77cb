"""Handover between booth partners: request, accept (one atomic switch), expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.audience import MODERATORS, channel
from domain.audience import persons as person_targets

from . import _lookup
from .errors import conflict, forbidden, invalid, not_found
from .events import HandoverCompleted, HandoverExpired, HandoverRequested
from .outcome import Outcome
from .state import ChannelKey, HandoverRequest, SessionInterpretation
from .transition import Draft, finish
from .views import all_listener_counts


def request_handover(
    state: SessionInterpretation,
    person_id: str,
    to_id: str,
    room_id: str,
    language: str,
    now: datetime,
    timeout_s: float | None = None,
) -> Outcome:
    """The live interpreter asks a partner to take over; only that partner (and the
    requester) hear of it. A new request replaces a pending one, which is
    cancelled. ``timeout_s`` defaults to the event's ``handover_timeout_s``."""
    ch = _lookup.channel(state, room_id, language)
    _lookup.interpreter(state, person_id)
    if ch.on_air != person_id:
        raise forbidden(
            f"only the live interpreter of the {language!r} channel can ask for a handover."
        )
    _check_partner(state, ch.key, to_id, asking=person_id, now=now)
    timeout = state.settings.handover_timeout_s if timeout_s is None else timeout_s
    if timeout <= 0:
        raise invalid("a handover timeout must be a positive number of seconds.")
    draft = Draft(state, now)
    pending = draft.handovers.get(ch.key)
    if pending is not None:
        draft.cancel(pending, "superseded")
    request = HandoverRequest(
        draft.new_request_id(),
        room_id,
        language,
        person_id,
        to_id,
        now,
        now + timedelta(seconds=timeout),
    )
    draft.handovers[ch.key] = request
    return finish(draft, uncovered_reason="handover", after=[requested_event(request)])


def requested_event(request: HandoverRequest) -> HandoverRequested:
    audience = person_targets(request.to_id, request.from_id)
    if request.reason == "dropout":
        audience = (*audience, MODERATORS)
    return HandoverRequested(
        request.request_id,
        request.room_id,
        request.language,
        request.from_id,
        request.to_id,
        request.expires_at,
        request.reason,
        audience,
    )


def accept_handover(
    state: SessionInterpretation, person_id: str, room_id: str, language: str, now: datetime
) -> Outcome:
    """The asked partner takes over in one step: one ``channel.updated`` whose
    ``on_air`` goes from the requester to them, then ``handover.completed``."""
    ch = _lookup.channel(state, room_id, language)
    _lookup.member(state, person_id)
    request = state.handovers.get(ch.key)
    if request is None or request.to_id != person_id:
        last = state.resolved.get(ch.key)
        if request is None and last is not None and last.to_id == person_id:
            raise conflict(
                f"the handover you were asked for was already {last.outcome} "
                f"at {last.at.isoformat()}; nothing is pending."
            )
        raise forbidden(
            f"nobody asked you to take over the {language!r} channel; "
            "only the asked partner can accept."
        )
    if now >= request.expires_at:
        then = (
            "the channel is free: go on air instead"
            if request.reason == "dropout"
            else f"{request.from_id} stays live: ask them to request it again"
        )
        raise conflict(f"this handover expired at {request.expires_at.isoformat()}; {then}.")
    # The partner is calling us, so they are evidently connected: no online check.
    _check_partner(state, ch.key, person_id, asking=request.from_id, now=now, online=False)
    draft = Draft(state, now)
    draft.go_off(ch.key)
    draft.go_live(ch.key, person_id)
    draft.resolve(request, "accepted")
    completed = HandoverCompleted(
        request.request_id,
        room_id,
        language,
        request.from_id,
        person_id,
        (channel(room_id, language), MODERATORS),
    )
    return finish(draft, uncovered_reason="handover", after=[completed])


def expire_handover(
    state: SessionInterpretation, room_id: str, language: str, request_id: str, now: datetime
) -> Outcome:
    """The expiry timer fired. Still pending: ``handover.expired`` and the live
    interpreter stays live. Already accepted, replaced or expired: nothing."""
    key = ChannelKey(room_id, language)
    request = state.handovers.get(key)
    if request is None or request.request_id != request_id or now < request.expires_at:
        return Outcome(state, [])
    draft = Draft(state, now)
    draft.resolve(request, "expired")
    audience = person_targets(request.from_id, request.to_id)
    if request.reason == "dropout":
        audience = (*audience, MODERATORS)
    expired = HandoverExpired(
        request.request_id, room_id, language, request.from_id, request.to_id, audience
    )
    return finish(draft, uncovered_reason="handover_expired", after=[expired])


def _check_partner(
    state: SessionInterpretation,
    key: ChannelKey,
    to_id: str,
    *,
    asking: str,
    now: datetime,
    online: bool = True,
) -> None:
    """Whether ``to_id`` can take ``key`` over from ``asking`` right now."""
    if to_id not in state.members:
        raise not_found(f"person {to_id} is not part of this session.")
    if to_id == asking:
        raise invalid("hand over to a partner, not to yourself.")
    partner = state.interpreters.get(to_id)
    if partner is None or not partner.works_into(key.language):
        raise invalid(
            f"{to_id} is not in the {key.language!r} booth: they have no direction into "
            f"{key.language!r}; choose a partner who has."
        )
    member = state.members[to_id]
    if member.room_id != key.room_id:
        raise conflict(f"{to_id} is in another room; a partner must be in room {key.room_id}.")
    if online and not member.online:
        raise conflict(f"{to_id} is offline; hand over to a partner who is connected.")
    elsewhere = state.live_channel_of(to_id)
    if elsewhere is not None and elsewhere.key != key:
        raise conflict(
            f"{to_id} is live on the {elsewhere.language!r} channel; "
            "an interpreter is never live on two channels."
        )
    lost = _sources_lost_by_switch(state, key, to_id, now)
    if lost:
        raise conflict(
            f"{to_id} cannot cover {key.language!r} from what is heard in this room now "
            f"(the floor is {state.rooms[key.room_id].floor_language!r}); the switch would "
            f"leave {', '.join(lost)} without a source for their listeners."
        )


def _sources_lost_by_switch(
    state: SessionInterpretation, key: ChannelKey, to_id: str, now: datetime
) -> list[str]:
    """Listened channels of the room that have a source now and would not after."""
    draft = Draft(state, now)
    draft.go_off(key)
    draft.go_live(key, to_id)
    draft.recompute_sources()
    counts = all_listener_counts(state)
    return [
        k.language
        for k, ch in state.channels.items()
        if k.room_id == key.room_id
        and counts[k] > 0
        and ch.source is not None
        and draft.channels[k].source is None
    ]
