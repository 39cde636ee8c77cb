"""Registrants import: a spreadsheet (CSV) or a JSON array of people, all or nothing.

Each row is validated with the rules of POST/PATCH people; every bad cell of every row
is reported at once (422 ``errors``) and nothing is stored. Rows match people already
in the event by e-mail (case-insensitive), or, without e-mail, by name (NFC,
case-folded) among those without one, so re-importing a file, or an updated one,
changes only what changed and creates no one twice."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import errors, faults, spreadsheets
from ..auth import Caller, Perm, hash_token, load_event, new_token
from ..commands import Logs
from ..joinlinks import join_url
from ..models import Person, new_id, utcnow
from ..schemas import PersonCreate, PersonUpdate
from ..state import AppState
from .people import apply_changes, booth_changes, running_logs, tell_updated

MAX_ROWS = 5_000
COLUMNS = (
    "name",
    "email",
    "role",
    "timezone",
    "language",
    "interprets",
    "groups",
    "organisation",
    "country",
)
CSV_TYPES = ("text/csv", "application/csv")


@dataclass
class Row:
    line: int | None  # physical line where the CSV record starts; None for JSON
    index: int
    fields: dict[str, Any]  # given, non-empty values, parsed
    raw: dict[str, Any]  # as the file had them, for error messages
    problem: str | None = None  # the row's shape is wrong (not an object, cells too many)
    person: Person | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    new: PersonCreate | None = None


class Problems:
    """Every bad cell, collected; raised as one 422."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.bad_rows: set[int] = set()

    def add(self, row: Row, column: str | None, detail: str) -> None:
        self.bad_rows.add(row.index)
        self.items.append(
            {
                "line": row.line,
                "index": row.index,
                "column": column,
                "value": row.raw.get(column) if column else None,
                "detail": detail,
                "field": f"{row.index}.{column}" if column else str(row.index),
            }
        )

    def raise_any(self) -> None:
        if not self.items:
            return
        first = "; ".join(
            f"{_where(e)}{e['column'] or 'row'}: {e['detail']}" for e in self.items[:3]
        )
        more = f" (and {len(self.items) - 3} more)" if len(self.items) > 3 else ""
        raise errors.Invalid(
            f"{len(self.items)} bad cell(s) in {len(self.bad_rows)} row(s); nothing was "
            f"imported. Fix them and send the file again: {first}{more}",
            errors=self.items,
        )


def _where(entry: dict) -> str:
    return f"line {entry['line']}, " if entry["line"] is not None else f"row {entry['index']}, "


# ---- reading ----------------------------------------------------------------------------


def _split(value: str, pattern: str) -> list[str]:
    return [p.strip() for p in re.split(pattern, value) if p.strip()]


CSV_LISTS = {"interprets": r"[\s;]+", "groups": r"[;|]"}


def rows_from_csv(raw: bytes) -> list[Row]:
    try:
        text = spreadsheets.decode(raw)
    except spreadsheets.NotUtf8 as exc:
        raise errors.Invalid(str(exc)) from None
    if "\x00" in text:
        raise errors.Invalid("the file must not contain NUL characters (\\x00)")
    header, records = spreadsheets.read(text)
    names = [h.strip().lower() for h in header]
    _check_header(names)
    _limit(len(records))
    rows = []
    for i, rec in enumerate(records):
        raw = dict(zip(names, rec.cells, strict=False))
        fields: dict[str, Any] = {}
        for name, cell in raw.items():
            cell = cell.strip()
            if not cell:
                continue  # an empty cell leaves the field unchanged
            fields[name] = _split(cell, CSV_LISTS[name]) if name in CSV_LISTS else cell
        row = Row(rec.line, i, fields, raw)
        if any(c.strip() for c in rec.cells[len(names) :]):
            row.problem = f"the row has {len(rec.cells)} cells, the header {len(names)}"
        rows.append(row)
    return rows


def _check_header(names: list[str]) -> None:
    unknown = [h for h in names if h not in COLUMNS]
    twice = sorted({h for h in names if names.count(h) > 1})
    if not unknown and not twice and "name" in names:
        return
    detail = (
        "the header row must name the columns "
        + ", ".join(COLUMNS)
        + " ('name' required; others optional; case and order do not matter)"
    )
    if unknown:
        detail += f"; unknown column(s): {', '.join(repr(u) for u in unknown)}"
    if twice:
        detail += f"; named twice: {', '.join(twice)}"
    if "name" not in names:
        detail += "; 'name' is missing"
    if any(";" in u for u in unknown):
        detail += (
            "; the header line mixes ',' and ';' outside quotes, so its delimiter cannot "
            "be told: save the file with one of them (Excel: CSV UTF-8)"
        )
    cells = [
        {"line": 1, "index": None, "column": u, "value": u, "detail": "unknown column", "field": u}
        for u in unknown
    ]
    raise errors.Invalid(detail, errors=cells or None)


def rows_from_json(raw: bytes) -> list[Row]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.Invalid(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise errors.Invalid("send a JSON array of person objects, as for POST .../people")
    _limit(len(data))
    rows = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            row = Row(None, i, {}, {}, problem="each item must be a JSON object of a person")
        else:
            given = {k: v for k, v in item.items() if v is not None and v != ""}
            row = Row(None, i, given, dict(item))
        rows.append(row)
    return rows


def _limit(n: int) -> None:
    if n > MAX_ROWS:
        raise errors.Invalid(
            f"the import has {n} rows; at most {MAX_ROWS:,} rows (and 1 MiB) go in one "
            "import: split the file"
        )


# ---- checking ---------------------------------------------------------------------------


def name_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold().strip()


def _validation(problems: Problems, row: Row, exc: ValidationError, fallback: str) -> None:
    for err in exc.errors():
        column = str(err["loc"][0]) if err["loc"] else fallback
        problems.add(row, column, err["msg"].removeprefix("Value error, "))


def _check(rows: list[Row], people: list[Person]) -> Problems:
    problems = Problems()
    by_email: dict[str, list[Person]] = {}
    by_name: dict[str, list[Person]] = {}
    for p in people:
        if p.email:
            by_email.setdefault(p.email.casefold(), []).append(p)
        else:
            by_name.setdefault(name_key(p.name), []).append(p)
    claims: dict[tuple, list[Row]] = {}
    for row in rows:
        f = row.fields
        if row.problem:
            problems.add(row, None, row.problem)
            continue
        email, name = f.get("email"), f.get("name")
        if isinstance(email, str):
            found, key = by_email.get(email.casefold(), []), ("email", email.casefold())
        elif isinstance(name, str):
            found, key = by_name.get(name_key(name), []), ("name", name_key(name))
        else:
            found, key = [], None
        if len(found) > 1:
            col = "email" if key and key[0] == "email" else "name"
            problems.add(row, col, f"matches {len(found)} people of the event; give each an e-mail")
            continue
        if key is not None:
            claims.setdefault(("id", found[0].id) if found else key, []).append(row)
        if found:
            _check_update(problems, row, found[0])
        else:
            _check_new(problems, row)
    for rows_of_one in claims.values():
        if len(rows_of_one) > 1:
            lines = ", ".join(_where(_entry(r)).rstrip(", ") for r in rows_of_one)
            for r in rows_of_one:
                col = "email" if "email" in r.fields else "name"
                problems.add(r, col, f"these rows are one person ({lines}): keep one")
    return problems


def _entry(row: Row) -> dict:
    return {"line": row.line, "index": row.index}


def _check_new(problems: Problems, row: Row) -> None:
    data = {"role": "participant", **row.fields}
    try:
        row.new = PersonCreate.model_validate(data)
    except ValidationError as exc:
        _validation(problems, row, exc, "interprets")


def _check_update(problems: Problems, row: Row, person: Person) -> None:
    row.person = person
    data = dict(row.fields)
    role = data.pop("role", None)
    if role is not None and role != person.role:
        problems.add(
            row,
            "role",
            f"{person.name} is already in the event as {person.role}; a role is set when "
            "a person is added and never changes (leave the cell empty, or add the person "
            "again under another name or e-mail)",
        )
    if isinstance(data.get("email"), str):
        data.pop("email")  # matched by it: the stored spelling stays
    try:
        changes = PersonUpdate.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as exc:
        _validation(problems, row, exc, "interprets")
        return
    if changes.get("interprets") and person.role != "interpreter":
        problems.add(row, "interprets", "only a person with role 'interpreter' interprets")
        return
    row.changes = {k: v for k, v in changes.items() if getattr(person, k) != v}


# ---- the command ------------------------------------------------------------------------


def parse(content_type: str, raw: bytes) -> list[Row]:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in CSV_TYPES:
        return rows_from_csv(raw)
    if ctype == "application/json":
        return rows_from_json(raw)
    raise errors.Problem(
        f"send the people as text/csv (a spreadsheet saved as CSV UTF-8) or as "
        f"application/json (an array of person objects), not {ctype or 'no content type'}",
        status=415,
    )


async def import_people(
    state: AppState,
    caller: Caller,
    event_id: str,
    content_type: str,
    raw: bytes,
    *,
    dry_run: bool = False,
) -> dict:
    """One transaction: nothing is stored unless every row is good. People whose
    directions change are told in every running session (``person.updated``), as by
    PATCH."""
    if dry_run:
        async with state.db.read() as tx:
            return await _import(state, caller, event_id, content_type, raw, tx, None)

    async def work(tx: AsyncSession, logs: Logs) -> dict:
        return await _import(state, caller, event_id, content_type, raw, tx, logs)

    return await state.commands.run_many(work, by=caller.person_id)


async def _import(
    state: AppState,
    caller: Caller,
    event_id: str,
    content_type: str,
    raw: bytes,
    tx: AsyncSession,
    logs: Logs | None,  # None: a dry run
) -> dict:
    dry_run = logs is None
    await load_event(tx, caller, event_id, Perm.people_manage)
    rows = parse(content_type, raw)
    people = list((await tx.exec(select(Person).where(Person.event_id == event_id))).all())
    _check(rows, people).raise_any()
    changed = [r.person for r in rows if r.person is not None and r.changes]
    told = [r.person for r in rows if r.person is not None and booth_changes(r.person, r.changes)]
    told_logs = await running_logs(tx, logs, event_id) if told and logs else []
    out, inserts = [], []
    created = updated = unchanged = 0
    now = utcnow()
    for row in rows:
        if row.person is not None:
            if row.changes:
                updated += 1
                if not dry_run:
                    apply_changes(row.person, row.changes)
                    tx.add(row.person)
            else:
                unchanged += 1
            p = row.person
            out.append({"id": p.id, "name": p.name, "email": p.email, "role": p.role})
            continue
        created += 1
        fields = row.new.model_dump()
        item = {"id": None, "name": fields["name"], "email": fields["email"]}
        item["role"] = fields["role"]
        if not dry_run:
            token = new_token()
            item |= {"id": new_id(), "token": token}
            item["join_url"] = join_url(state.settings.public_url, token)
            inserts.append(
                fields
                | {"id": item["id"], "event_id": event_id, "created_at": now}
                | {"token_hash": hash_token(token), "calendar_token_hash": None}
            )
        out.append(item)
    if inserts:
        # a multi-row insert: 5,000 ORM objects cost seconds, these rows a fraction
        half = max(1, len(inserts) // 2)
        await tx.exec(insert(Person), params=inserts[:half])
        faults.crash_here("import.mid")  # half the rows written, uncommitted
        if inserts[half:]:
            await tx.exec(insert(Person), params=inserts[half:])
    tell_updated(told_logs, told)
    for p in changed if not dry_run else ():
        state.tokens.forget(p.id)  # sockets read them afresh
    return {"created": created, "updated": updated, "unchanged": unchanged, "people": out}
