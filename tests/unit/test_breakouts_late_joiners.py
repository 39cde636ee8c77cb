"""Latecomers are placed by the round's own strategy, or stay in the plenary."""

from __future__ import annotations

from collections import Counter

from breakouts.late_joiners import join_late, place_late_joiner
from breakouts.model import Member, Placement, Role, RoomDraft
from breakouts.moves import move
from breakouts.rounds import begin_close, open_round

from .test_breakouts_fixtures import (
    NOW,
    PLENARY,
    by_id,
    check_event,
    everyone_in_plenary,
    kickoff_members,
    make_round,
)


def opened(strategy: str, **options):
    members = options.pop("members", kickoff_members())
    round_, placement, _ = open_round(
        make_round(strategy, members=members, **options),
        everyone_in_plenary(members),
        plenary_id=PLENARY,
        now=NOW,
    )
    return round_, placement


def test_a_latecomer_needing_arabic_goes_to_the_emptier_arabic_room() -> None:
    round_, placement = opened("by_language")
    late = Member("p50", language="ar")
    members = {**by_id(), "p50": late}
    room_id = place_late_joiner(round_, late, placement, members)
    assert "ar" in round_.room(room_id).languages
    arabic_rooms = [r.id for r in round_.rooms if "ar" in r.languages]
    counts = Counter(placement[p] for p in placement if members[p].is_participant)
    assert counts[room_id] == min(counts[r] for r in arabic_rooms)


def test_join_late_moves_them_and_moderators_see_it() -> None:
    round_, placement = opened("balanced")
    late = Member("p50")
    placement, [event] = join_late(
        round_, late, placement, {**by_id(), "p50": late}, plenary_id=PLENARY
    )
    assert placement["p50"] == event.to_room != PLENARY
    assert check_event(event)["from_room"] == PLENARY and "moderators" in event.audience


def test_a_latecomer_with_no_room_for_their_language_stays_and_moderators_learn_why() -> None:
    round_, placement = opened("by_language", rooms=[RoomDraft("A", ("ru",))])
    late = Member("p50", language="ar")
    placement, [event] = join_late(round_, late, placement, by_id(), plenary_id=PLENARY)
    assert placement["p50"] == PLENARY
    assert event.type == "breakout.unplaced" and event.audience == ("moderators",)
    assert "Arabic (ar)" in check_event(event)["reason"]


def test_working_group_latecomers_get_their_group() -> None:
    round_, placement = opened("working_groups")
    late = Member("p50", groups=("City Lab collaborations",))
    room_id = place_late_joiner(round_, late, placement, by_id())
    assert round_.room(room_id).name == "City Lab collaborations"


def test_a_working_group_latecomer_whose_group_is_no_room_is_reported() -> None:
    round_, placement = opened("working_groups")
    late = Member("p50", groups=("City Lab collaboration",))
    placement, events = join_late(round_, late, placement, by_id(), plenary_id=PLENARY)
    assert placement["p50"] == PLENARY
    (event,) = events
    assert event.type == "breakout.unplaced" and event.audience == ("moderators",)
    assert "'City Lab collaborations'" in check_event(event)["reason"]


def test_manual_and_self_select_latecomers_stay_in_the_plenary() -> None:
    for strategy in ("manual", "self_select"):
        round_, placement = opened(strategy)
        placement, events = join_late(round_, Member("p50"), placement, by_id(), plenary_id=PLENARY)
        assert placement["p50"] == PLENARY and events == []


def test_reconnecting_keeps_the_plenary_someone_returned_to() -> None:
    round_, placement = opened("balanced")
    members = by_id()
    placement, _ = move(placement, round_, members["p01"], "p01", PLENARY, PLENARY)
    assert join_late(round_, members["p01"], placement, members, plenary_id=PLENARY) == (
        placement,
        [],
    )


def test_staff_and_closing_rounds_place_nobody() -> None:
    round_, placement = opened("balanced")
    assert place_late_joiner(round_, Member("m9", Role.MODERATOR), placement, by_id()) is None
    closing, _ = begin_close(round_, now=NOW)
    assert place_late_joiner(closing, Member("p50"), placement, by_id()) is None


def test_before_opening_a_latecomer_gets_a_planned_room() -> None:
    round_ = make_round("balanced")
    room_id = place_late_joiner(round_, Member("p50"), Placement(), by_id())
    sizes = Counter(round_.plan.values())
    assert sizes[room_id] == min(sizes.values())


def test_an_arrival_starts_in_the_plenary_from_nowhere() -> None:
    from breakouts.late_joiners import arrive

    event = arrive("p50", PLENARY)
    assert event.data() == {"person_id": "p50", "from_room": None, "to_room": PLENARY}
    assert set(event.audience) == {"person:p50", "moderators", f"room:{PLENARY}"}
    check_event(event)
