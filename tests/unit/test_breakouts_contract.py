"""The package's contract with the server: event schemas, error kinds."""

from __future__ import annotations

from datetime import datetime

from breakouts.errors import BreakoutError, ErrorKind
from breakouts.events import EVENT_TYPES
from breakouts.late_joiners import join_late
from breakouts.model import Member, Placement, RoomDraft
from breakouts.planning import plan_move
from breakouts.rounds import (
    begin_close,
    cancel_close,
    cancel_round,
    extend_round,
    finish_close,
    open_round,
    recreate_round,
)
from domain.errors import HTTP_STATUS
from server.event_registry import coerce

from .test_breakouts_fixtures import (
    NOW,
    PLENARY,
    check_event,
    everyone_in_plenary,
    kickoff_members,
    make_round,
)

AUDIENCES = {
    "breakout.created": ("moderators",),
    "breakout.planned": ("moderators",),
    "breakout.unplaced": ("moderators",),
    "breakout.opened": ("session",),
    "breakout.extended": ("session",),
    "breakout.closing": ("session",),
    "breakout.close_cancelled": ("session",),
    "breakout.closed": ("session",),
    "breakout.cancelled": ("session",),
}


def every_kind_of_event() -> list:
    members = kickoff_members()
    events = []
    round_ = make_round(
        "by_language", duration_s=600, rooms=[RoomDraft("A", ("ar",)), RoomDraft("B")]
    )
    events += cancel_round(round_, now=NOW)[1]
    other = next(r.id for r in round_.rooms if r.id != round_.plan["p01"])
    round_, more = plan_move(round_, "p01", other, members)
    events += more
    round_, placement, more = open_round(round_, everyone_in_plenary(), plenary_id=PLENARY, now=NOW)
    events += more
    round_, more = extend_round(round_, 60, now=NOW)
    events += more
    round_, more = begin_close(round_, now=NOW)
    events += more
    round_, more = cancel_close(round_, now=NOW)
    events += more
    round_, more = begin_close(round_, now=NOW)
    events += more
    round_, placement, more = finish_close(round_, placement, plenary_id=PLENARY, now=NOW)
    events += more
    events += recreate_round(round_, "round-2", now=NOW)[1]
    opened, placement, _ = open_round(
        make_round("by_language", rooms=[RoomDraft("A")]), Placement(), plenary_id=PLENARY, now=NOW
    )
    events += join_late(
        opened, Member("late", language="ar"), placement, members, plenary_id=PLENARY
    )[1]
    return events


def test_every_event_type_is_emitted_and_matches_its_schema() -> None:
    events = every_kind_of_event()
    assert {e.type for e in events} == set(EVENT_TYPES)
    for event in events:
        check_event(event)
        coerce(event.type, event.data())  # the registry that checks every event at emit time
        if event.type in AUDIENCES:
            assert event.audience == AUDIENCES[event.type]
        for key in ("ends_at", "closes_at"):
            if event.data().get(key) is not None:
                assert isinstance(event.data()[key], datetime)


def test_room_moved_reaches_the_person_the_moderators_and_both_rooms() -> None:
    moved = next(e for e in every_kind_of_event() if e.type == "room.moved")
    assert set(moved.audience) == {
        f"person:{moved.person_id}",
        "moderators",
        f"room:{moved.from_room}",
        f"room:{moved.to_room}",
    }


def test_error_kinds_map_to_http_statuses() -> None:
    assert {kind.value: status for kind, status in HTTP_STATUS.items()} == {
        "invalid": 422,
        "not_found": 404,
        "forbidden": 403,
        "conflict": 409,
    }
    error = BreakoutError("conflict", "Round r is open; close it first.")
    assert error.kind is ErrorKind.CONFLICT and error.status == 409 and str(error) == error.detail
