"""Manual assignment from a CSV file (``email,room`` or ``name,room``).

Moderators prepare these in a spreadsheet, as in the tools they know. The
whole file is checked before anything is applied, and every bad line is
reported at once with its line number, so one round of fixes is enough.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from .errors import CsvAssignmentError
from .model import Member, RoomSpec, index_members, normalise_name
from .wording import with_article

_KEY_COLUMNS = ("email", "name")
_SHOWN_ROOMS = 10


def _lookup_table(members: Iterable[Member], key: str) -> dict[str, list[Member]]:
    table: dict[str, list[Member]] = {}
    for member in members:
        value = member.email if key == "email" else member.name
        if value:
            table.setdefault(normalise_name(value), []).append(member)
    return table


def _find_room(value: str, rooms: Sequence[RoomSpec]) -> RoomSpec | None:
    """The room named ``value`` (or with that id), or None."""
    if not value:
        return None
    wanted = normalise_name(value)
    for room in rooms:
        if normalise_name(room.name) == wanted:
            return room
    return next((room for room in rooms if room.id == value), None)


def _room_listing(rooms: Sequence[RoomSpec]) -> str:
    names = [room.name for room in rooms[:_SHOWN_ROOMS]]
    more = f", and {len(rooms) - _SHOWN_ROOMS} more" if len(rooms) > _SHOWN_ROOMS else ""
    return ", ".join(names) + more


def _read_rows(text: str) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """Non-blank rows with the line they start on, and any unreadable line."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        return rows, [(start, f"this line cannot be read as CSV ({exc})")]
    return rows, []


def parse_assignment_csv(
    text: str,
    members: Iterable[Member] | Mapping[str, Member],
    rooms: Sequence[RoomSpec],
) -> dict[str, str]:
    """Person id -> room id for every line, or ``CsvAssignmentError`` listing every bad line.

    Headers are matched case-insensitively; people by email or by name, rooms
    by name (or id), all ignoring case and surrounding spaces.
    """
    rows, unreadable = _read_rows(text)
    if not rows:
        raise CsvAssignmentError(
            unreadable
            or [(1, "the file is empty; the first line must be a header such as 'email,room'")]
        )
    header_line, header = rows[0]
    columns = [cell.strip().casefold() for cell in header]
    key = next((name for name in _KEY_COLUMNS if name in columns), None)
    missing = [name for name in (key or "email or name", "room") if name not in columns]
    if key is None or "room" not in columns:
        found = ", ".join(cell.strip() for cell in header) or "nothing"
        raise CsvAssignmentError(
            [
                (
                    header_line,
                    f"the header lacks the column {' and '.join(missing)} (found: {found}); "
                    "the first line must be 'email,room' or 'name,room'",
                )
            ]
        )
    key_at, room_at = columns.index(key), columns.index("room")
    all_members = list(index_members(members).values())
    people = _lookup_table(all_members, key)

    plan: dict[str, str] = {}
    first_line: dict[str, int] = {}
    errors: list[tuple[int, str]] = []
    for line, row in rows[1:]:
        who = row[key_at].strip() if key_at < len(row) else ""
        where = row[room_at].strip() if room_at < len(row) else ""
        reasons: list[str] = []
        member: Member | None = None
        if not who:
            reasons.append(f"the {key} is missing")
        else:
            matches = people.get(normalise_name(who), [])
            if not matches:
                reasons.append(f"no person with {key} '{who}' in this session")
            elif len(matches) > 1:
                reasons.append(
                    f"{len(matches)} people have the {key} '{who}'; "
                    "use an email,room file to tell them apart"
                )
            elif not matches[0].is_participant:
                reasons.append(
                    f"'{who}' is {with_article(matches[0].role.value)}; "
                    "only participants are assigned to rooms"
                )
            elif matches[0].person_id in first_line:
                earlier = first_line[matches[0].person_id]
                reasons.append(f"'{who}' is already assigned on line {earlier}")
            else:
                member = matches[0]
                first_line[member.person_id] = line
        room = _find_room(where, rooms)
        if not where:
            reasons.append("the room is missing")
        elif room is None:
            reasons.append(f"no room named '{where}' in this round (rooms: {_room_listing(rooms)})")
        if reasons:
            errors.append((line, "; ".join(reasons)))
            continue
        assert member is not None and room is not None
        plan[member.person_id] = room.id
    errors.extend(unreadable)
    if not errors and not plan:
        errors.append((header_line, "the file has a header but no assignments below it"))
    if errors:
        raise CsvAssignmentError(errors)
    return plan
