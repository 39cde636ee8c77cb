"""The manual strategy and CSV assignment: every bad line reported, nothing half-applied."""

from __future__ import annotations

import pytest

from breakouts.errors import BreakoutError, CsvAssignmentError, ErrorKind
from breakouts.model import Member, Role, RoomSpec
from breakouts.planning import apply_plan
from breakouts.strategies import assign, manual, parse_assignment_csv

from .test_breakouts_fixtures import FLOOR, GROUPS, kickoff_members, make_round

ROOMS = [RoomSpec(f"r{i}", name) for i, name in enumerate(GROUPS, start=1)]


def test_manual_round_starts_with_everyone_in_the_plenary() -> None:
    result = manual(kickoff_members(), ROOMS, floor_language=FLOOR)
    assert result.plan == {} and result.unplaced == []


def test_manual_accepts_a_given_plan_of_participants() -> None:
    result = assign("manual", kickoff_members(), ROOMS, floor_language=FLOOR, plan={"p01": "r2"})
    assert result.plan == {"p01": "r2"}


@pytest.mark.parametrize(
    ("plan", "kind"),
    [
        ({"nobody": "r1"}, ErrorKind.NOT_FOUND),
        ({"p01": "room-of-another-round"}, ErrorKind.NOT_FOUND),
        ({"s01": "r1"}, ErrorKind.INVALID),  # a moderator
    ],
)
def test_manual_refuses_a_plan_it_cannot_honour(plan: dict[str, str], kind: ErrorKind) -> None:
    with pytest.raises(BreakoutError) as caught:
        manual(kickoff_members(), ROOMS, floor_language=FLOOR, plan=plan)
    assert caught.value.kind is kind


def test_csv_by_email_with_loose_headers_bom_and_spaces() -> None:
    text = (
        "\ufeff Email , ROOM \r\n"
        "arta.hoxha@example.org, Digital divide\r\n"
        "\r\n"
        "  RAMI.KHALIL@example.org ,public service design optimisation\r\n"
    )
    assert parse_assignment_csv(text, kickoff_members(), ROOMS) == {"p01": "r1", "p22": "r3"}


def test_csv_by_name_with_extra_columns() -> None:
    text = "name,city,room\nNino Beridze,Tbilisi,City Lab collaborations\n"
    assert parse_assignment_csv(text, kickoff_members(), ROOMS) == {"p03": "r5"}


def test_csv_lists_every_bad_line_and_applies_nothing() -> None:
    text = "\n".join(
        [
            "email,room",
            "arta.hoxha@example.org,Digital divide",  # 2 fine
            "nobody@example.org,Digital divide",  # 3 unknown person
            "elira.dervishi@example.org,Room 99",  # 4 unknown room
            "arta.hoxha@example.org,Digital literacy",  # 5 duplicate
            ",Digital literacy",  # 6 no email
            "nino.beridze@example.org",  # 7 no room
            "anna.lehmann@example.org,Digital divide",  # 8 a moderator
            "ghost@example.org,Nowhere",  # 9 two problems on one line
        ]
    )
    with pytest.raises(CsvAssignmentError) as caught:
        parse_assignment_csv(text, kickoff_members(), ROOMS)
    error = caught.value
    assert error.kind is ErrorKind.INVALID and error.status == 422
    assert [line for line, _ in error.errors] == [3, 4, 5, 6, 7, 8, 9]
    reasons = dict(error.errors)
    assert "no person with email 'nobody@example.org'" in reasons[3]
    assert "no room named 'Room 99'" in reasons[4] and "Digital divide" in reasons[4]
    assert "already assigned on line 2" in reasons[5]
    assert "email is missing" in reasons[6]
    assert "room is missing" in reasons[7]
    assert "moderator" in reasons[8]
    assert "no person" in reasons[9] and "no room" in reasons[9]
    assert "line 3" in error.detail and "nothing was applied" in error.detail


def test_csv_names_shared_by_two_people_are_ambiguous() -> None:
    members = [Member("a", name="Sam Lee"), Member("b", name="sam  lee"), Member("c", name="Jo")]
    with pytest.raises(CsvAssignmentError) as caught:
        text = "name,room\nSam Lee,Digital divide\nJo,Digital divide\n"
        parse_assignment_csv(text, members, ROOMS)
    assert caught.value.errors == [
        (2, "2 people have the name 'Sam Lee'; use an email,room file to tell them apart")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("\ufeff\n  \n", "the file is empty"),
        ("person,room\nx,y\n", "lacks the column email or name"),
        ("email,where\nx,y\n", "lacks the column room"),
        ("email,room\n", "no assignments"),
    ],
)
def test_csv_without_a_usable_header_or_rows_is_one_error_on_line_one(
    text: str, expected: str
) -> None:
    with pytest.raises(CsvAssignmentError) as caught:
        parse_assignment_csv(text, kickoff_members(), ROOMS)
    [(line, reason)] = caught.value.errors
    assert line == 1 and expected in reason


def test_csv_line_numbers_count_quoted_line_breaks() -> None:
    text = (
        "email,room,note\n"
        'nobody@example.org,Digital divide,"joins late,\nneeds the link"\n'
        "ghost@example.org,Digital divide,\n"
    )
    with pytest.raises(CsvAssignmentError) as caught:
        parse_assignment_csv(text, kickoff_members(), ROOMS)
    assert [line for line, _ in caught.value.errors] == [2, 4]


def test_a_parsed_csv_is_applied_to_the_plan_in_one_step() -> None:
    round_ = make_round("manual")
    rooms = {room.name: room.id for room in round_.rooms}
    plan = parse_assignment_csv(
        "email,room\narta.hoxha@example.org,Digital divide\n", kickoff_members(), round_.rooms
    )
    planned, events = apply_plan(round_, plan, kickoff_members())
    assert planned.plan == {"p01": rooms["Digital divide"]}
    [event] = events
    assert event.type == "breakout.planned" and event.audience == ("moderators",)


def test_staff_roles_cannot_be_planned_by_csv() -> None:
    members = [Member("i", Role.INTERPRETER, email="i@x.org")]
    with pytest.raises(CsvAssignmentError):
        parse_assignment_csv("email,room\ni@x.org,Digital divide\n", members, ROOMS)
