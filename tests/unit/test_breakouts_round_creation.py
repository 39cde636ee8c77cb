"""Round creation: numbered and by-language rooms, trimmed names, invalid requests."""

from __future__ import annotations

import pytest

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.model import RoomDraft, RoundStatus
from breakouts.rounds import (
    create_round,
)

from .test_breakouts_fixtures import (
    EVENT_LANGUAGES,
    FLOOR,
    NOW,
    SESSION_ID,
    check_event,
    id_factory,
    kickoff_members,
    make_round,
)


def test_count_makes_numbered_rooms_and_a_moderator_only_created_event() -> None:
    round_, [event] = create_round(
        round_id="round-1",
        session_id=SESSION_ID,
        strategy="balanced",
        members=kickoff_members(),
        event_languages=EVENT_LANGUAGES,
        floor_language=FLOOR,
        now=NOW,
        count=3,
        duration_s=900,
        new_room_id=id_factory("r"),
    )
    assert [room.name for room in round_.rooms] == ["Room 1", "Room 2", "Room 3"]
    assert round_.status is RoundStatus.PLANNED and round_.countdown_s == 60
    assert round_.allow_return is True and round_.created_at == NOW
    assert event.type == "breakout.created" and event.audience == ("moderators",)
    data = check_event(event)
    assert data["rooms"][0] == {
        "id": "r1",
        "name": "Room 1",
        "kind": "breakout",
        "languages": [],
        "capacity": None,
    }
    assert data["strategy"] == "balanced" and data["unplaced"] == []
    assert len(data["plan"]) == 38


def test_by_language_round_is_created_even_with_unplaceable_people() -> None:
    rooms = [RoomDraft("Digital divide", ("ru",)), RoomDraft("Digital literacy")]
    round_ = make_round("by_language", rooms=rooms)
    assert round_.unplaced and all("Arabic (ar)" in u.reason for u in round_.unplaced)


def test_room_names_are_trimmed_and_languages_take_the_event_spelling() -> None:
    round_ = make_round(rooms=[RoomDraft("  Digital   divide ", ("AR", "ar", "ru"), 12)])
    [room] = round_.rooms
    assert (room.name, room.languages, room.capacity) == ("Digital divide", ("ar", "ru"), 12)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"count": 0}, "between 1 and 100"),
        ({"count": 101}, "between 1 and 100"),
        ({"rooms": []}, "between 1 and 100"),
        ({"rooms": [RoomDraft(f"R{i}") for i in range(101)]}, "between 1 and 100"),
        ({"count": 2, "rooms": [RoomDraft("A")]}, "not both"),
        ({"rooms": [RoomDraft("A"), RoomDraft(" a ")]}, "both named"),
        ({"rooms": [RoomDraft("   ")]}, "no name"),
        ({"rooms": [RoomDraft("x" * 101)]}, "101 characters"),
        ({"rooms": [RoomDraft("A", capacity=0)]}, "capacity 0"),
        ({"rooms": [RoomDraft("A", ("tr",))]}, "Turkish (tr)"),
        ({"count": 2, "duration_s": 0}, "duration_s"),
        ({"count": 2, "duration_s": -5}, "duration_s"),
        ({"count": 2, "countdown_s": -1}, "countdown_s"),
        ({"count": 2, "strategy": "random"}, "Unknown strategy"),
    ],
)
def test_bad_creation_requests_are_invalid_with_a_helpful_detail(options: dict, words: str) -> None:
    strategy = options.pop("strategy", "balanced")
    if "count" not in options and "rooms" not in options:
        options["count"] = 2
    with pytest.raises(BreakoutError) as caught:
        create_round(
            round_id="round-1",
            session_id=SESSION_ID,
            strategy=strategy,
            members=kickoff_members(),
            event_languages=EVENT_LANGUAGES,
            floor_language=FLOOR,
            now=NOW,
            **options,
        )
    assert caught.value.kind is ErrorKind.INVALID and caught.value.status == 422
    assert words in caught.value.detail


def test_a_round_may_have_100_numbered_rooms() -> None:
    assert len(make_round(count=100).rooms) == 100
