"""The speaker queue of one room, and what the booths are told about it.

It lives beside the floor because its one hard rule is about the floor: when the
head of the queue will speak another language than the floor, the room's
interpreters must know before the moderator calls (``floor.upcoming``), and a
call moves the floor to the speaker's language (``interpretation.floor``). Rooms
only key the queues.

Pure: ``(queue, ..., now) -> (queue, events)``; a refused command raises
``QueueError`` and changes nothing. Positions are the order of ``hands`` (1 =
head); ``announced`` is the last ``floor.upcoming`` sent for the room, as
``(hand_id, language)`` (``language`` None for the "no longer" announcement)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import ClassVar, Literal, get_args

from domain.audience import MODERATORS, room
from domain.events import Event as DomainEvent

from .commands import SetFloor

Reason = Literal["lowered", "dismissed", "called", "moved", "left"]
REASONS = get_args(Reason)


def interpreters(room_id: str) -> str:
    """Audience target: every interpreter in the room (staff see it too)."""
    return f"interpreters:{room_id}"


class QueueError(Exception):
    """``kind``: ``not_found`` (404) or ``conflict`` (409)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind, self.detail = kind, detail


@dataclass(frozen=True)
class Hand:
    id: str
    person_id: str
    name: str
    language: str
    raised_at: dt.datetime


@dataclass(frozen=True)
class Queue:
    room_id: str
    hands: tuple[Hand, ...] = ()
    announced: tuple[str | None, str | None] | None = None

    def position(self, hand_id: str) -> int:
        for i, h in enumerate(self.hands, 1):
            if h.id == hand_id:
                return i
        raise QueueError("not_found", f"hand {hand_id} is not up in this room")

    def hand_of(self, person_id: str) -> Hand | None:
        return next((h for h in self.hands if h.person_id == person_id), None)


# ---- events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEvent(DomainEvent):
    """To the room and the moderators; the fields are the payload (the server derives
    the wire schema from them)."""

    type: ClassVar[str]
    room_id: str

    @property
    def audience(self) -> tuple[str, ...]:  # type: ignore[override]
        return (MODERATORS, room(self.room_id))


@dataclass(frozen=True)
class HandRaised(QueueEvent):
    type: ClassVar[str] = "hand.raised"
    hand_id: str
    person_id: str
    name: str
    language: str
    raised_at: dt.datetime
    position: int


@dataclass(frozen=True)
class HandChanged(QueueEvent):
    type: ClassVar[str] = "hand.changed"
    hand_id: str
    person_id: str
    language: str


@dataclass(frozen=True)
class HandLowered(QueueEvent):
    type: ClassVar[str] = "hand.lowered"
    hand_id: str
    person_id: str
    reason: Reason


@dataclass(frozen=True)
class HandsReordered(QueueEvent):
    type: ClassVar[str] = "hands.reordered"
    hand_ids: tuple[str, ...]


@dataclass(frozen=True)
class SpeakerCalled(QueueEvent):
    type: ClassVar[str] = "speaker.called"
    person_id: str
    language: str
    hand_id: str


@dataclass(frozen=True)
class FloorUpcoming(QueueEvent):
    type: ClassVar[str] = "floor.upcoming"
    language: str | None
    person_id: str | None
    hand_id: str | None

    @property
    def audience(self) -> tuple[str, ...]:
        return (MODERATORS, interpreters(self.room_id))


EVENT_TYPES: dict[str, type[QueueEvent]] = {
    cls.type: cls
    for cls in (HandRaised, HandChanged, HandLowered, HandsReordered, SpeakerCalled, FloorUpcoming)
}


# ---- commands -------------------------------------------------------------------------


def raise_hand(q: Queue, hand: Hand) -> tuple[Queue, list[QueueEvent], Hand]:
    """A new hand goes last (``hand.raised``). A person's second raise keeps their
    hand and its place, with the language updated (``hand.changed``, only when it
    changed)."""
    mine = q.hand_of(hand.person_id)
    if mine is not None:
        if mine.language == hand.language:
            return q, [], mine
        new = replace(mine, language=hand.language)
        q = replace(q, hands=tuple(new if h.id == mine.id else h for h in q.hands))
        return q, [HandChanged(q.room_id, new.id, new.person_id, new.language)], new
    q = replace(q, hands=(*q.hands, hand))
    return q, [_raised(q, hand)], hand


def _raised(q: Queue, h: Hand) -> HandRaised:
    return HandRaised(
        q.room_id, h.id, h.person_id, h.name, h.language, h.raised_at, q.position(h.id)
    )


def lower(q: Queue, hand_id: str, reason: str) -> tuple[Queue, list[QueueEvent]]:
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    h = q.hands[q.position(hand_id) - 1]
    q = replace(q, hands=tuple(x for x in q.hands if x.id != hand_id))
    return q, [HandLowered(q.room_id, h.id, h.person_id, reason)]


def reorder(q: Queue, hand_ids: list[str]) -> tuple[Queue, list[QueueEvent]]:
    by_id = {h.id: h for h in q.hands}
    unknown = [i for i in hand_ids if i not in by_id]
    if unknown:
        raise QueueError("not_found", f"hand {unknown[0]} is not up in this room")
    if len(hand_ids) != len(by_id) or set(hand_ids) != set(by_id):
        raise QueueError(
            "conflict",
            f"the list must hold exactly the room's {len(by_id)} raised hands, each once; "
            "read the queue again (GET .../hands) and send it reordered",
        )
    if tuple(hand_ids) == tuple(h.id for h in q.hands):
        return q, []
    q = replace(q, hands=tuple(by_id[i] for i in hand_ids))
    return q, [HandsReordered(q.room_id, tuple(hand_ids))]


def call(q: Queue, hand_id: str, floor: str) -> tuple[Queue, list[QueueEvent], SetFloor | None]:
    """The speaker gets the floor: their hand is lowered (``called``),
    ``speaker.called`` says in which language, and, when that is not the room's
    ``floor`` now, the ``SetFloor`` to apply in the same step (the floor rules move
    the live interpreters to their retour and relay)."""
    h = q.hands[q.position(hand_id) - 1]
    q, events = lower(q, hand_id, "called")
    events.append(SpeakerCalled(q.room_id, h.person_id, h.language, h.id))
    return q, events, SetFloor(q.room_id, h.language) if h.language != floor else None


def announce(q: Queue, floor: str) -> tuple[Queue, list[QueueEvent]]:
    """The contract's rule, applied after every command: when the head (hand and
    language) differs from the one last announced, announce it if it will speak
    another language than the floor; if the last announcement did name a language
    and the new head will not change the floor (or the queue is empty), announce
    ``language: None``."""
    head = q.hands[0] if q.hands else None
    key = (head.id, head.language) if head else None
    if key == q.announced:
        return q, []
    if head is not None and head.language != floor:
        ev = FloorUpcoming(q.room_id, head.language, head.person_id, head.id)
        return replace(q, announced=key), [ev]
    if q.announced is not None and q.announced[1] is not None:
        ev = FloorUpcoming(
            q.room_id, None, head.person_id if head else None, head.id if head else None
        )
        return replace(q, announced=(head.id if head else None, None)), [ev]
    return q, []
