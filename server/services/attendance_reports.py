"""Attendance reports: per person for a session, and the summary figures a network's
report prints (unique people, people per session, peak online, by country, by
organisation, by language). Read-only: someone online now is counted up to the
request without writing anything."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .. import spreadsheets
from ..auth import Caller, Perm, load_event, load_session
from ..jsonish import z
from ..models import (
    AttendancePeak,
    AttendanceTally,
    BreakoutRound,
    Person,
    Room,
    Session,
    utcnow,
)
from ..state import AppState
from .attendance_tally import Tally, move, pending_moves
from .sessions import list_for_event

UNKNOWN = "unknown"
SCALARS = (
    "person_id",
    "name",
    "role",
    "email",
    "organisation",
    "country",
    "timezone",
    "first_seen",
    "last_seen",
    "online_s",
    "hands",
    "help",
    "messages",
)


def _tenths(total: float, parts: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Seconds to one decimal, the parts adjusted (largest remainder) so that they add
    up to the total exactly."""
    whole = round(total * 10)
    raw = {k: v * 10 for k, v in parts.items()}
    out = {k: int(v) for k, v in raw.items()}
    short = whole - sum(out.values())
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True):
        if short <= 0:
            break
        out[k] += 1
        short -= 1
    if short < 0 and out:  # rounding pushed the parts over: take it from the largest
        biggest = max(out, key=out.get)
        out[biggest] += short
    return whole / 10, {k: v / 10 for k, v in out.items() if v or parts[k]}


def _as_of(t: Tally, now: dt.datetime, floor: str) -> tuple[float, dict, dict, dt.datetime | None]:
    """The tally with the seconds of an open stretch counted up to ``now``."""
    online_s, rooms, listened = t.online_s, dict(t.rooms), dict(t.listened)
    last = t.last_seen
    if t.counting_since is not None:
        extra = max(0.0, (now - t.counting_since).total_seconds())
        online_s += extra
        room, lang = t.room_id or "", t.language or floor
        rooms[room] = rooms.get(room, 0.0) + extra
        listened[lang] = listened.get(lang, 0.0) + extra
        last = now
    return online_s, rooms, listened, last


async def _room_order(tx: AsyncSession, session_id: str) -> list[Room]:
    rooms = list((await tx.exec(select(Room).where(Room.session_id == session_id))).all())
    numbers = dict(
        (
            await tx.exec(
                select(BreakoutRound.id, BreakoutRound.number).where(
                    BreakoutRound.session_id == session_id
                )
            )
        ).all()
    )
    return sorted(
        rooms, key=lambda r: (r.kind != "plenary", numbers.get(r.round_id, 0), r.position, r.name)
    )


async def people_of(tx: AsyncSession, s: Session, now: dt.datetime) -> list[dict]:
    """One object per person ever counted online in the session."""
    from ..models import Event

    event = await tx.get(Event, s.event_id)
    table = AttendanceTally.__table__
    rows = (
        await tx.execute(
            select(*table.c, Person)
            .join(Person, Person.id == table.c.person_id)
            .where(table.c.session_id == s.id, table.c.first_seen.is_not(None))
            .order_by(table.c.first_seen, Person.name)
        )
    ).all()
    tallies = [(Tally(r[:-1], stored=True), r[-1]) for r in rows]
    # moves not counted yet (``attendance.follow`` defers them) are counted here, in
    # memory: the report is the same before and after the catch-up writes them
    by_person = {t.person_id: t for t, _ in tallies}
    for rec in await pending_moves(tx, s):
        if (t := by_person.get(rec.data.get("person_id"))) is not None:
            move(t, rec, event.floor_language)
    order = await _room_order(tx, s.id)
    names = {r.id: r.name for r in order}
    position = {r.id: i for i, r in enumerate(order)}
    out = []
    for t, p in tallies:
        total, rooms, listened, last = _as_of(t, now, event.floor_language)
        online_s, rooms = _tenths(total, rooms)
        _, listened = _tenths(total, listened)
        out.append(
            {
                "person_id": p.id,
                "name": p.name,
                "role": p.role,
                "email": p.email,
                "organisation": p.organisation,
                "country": p.country,
                "timezone": p.timezone,
                "first_seen": t.first_seen,
                "last_seen": last,
                "online_s": online_s,
                "rooms": [
                    {"room_id": rid, "name": names.get(rid), "s": s_}
                    for rid, s_ in sorted(rooms.items(), key=lambda i: position.get(i[0], 1e9))
                ],
                "listened": dict(sorted(listened.items())),
                "hands": t.hands,
                "help": t.help,
                "messages": t.messages,
            }
        )
    return out


def _longest(listened: dict[str, float]) -> str | None:
    return max(sorted(listened), key=lambda k: listened[k]) if listened else None


def _counts(people: list[dict], key) -> dict[str, int]:
    return dict(sorted(Counter(key(p) or UNKNOWN for p in people).items()))


async def session_summary(tx: AsyncSession, s: Session, now: dt.datetime | None = None) -> dict:
    people = await people_of(tx, s, now or utcnow())
    peak = await tx.get(AttendancePeak, s.id)
    return {
        "session_id": s.id,
        "title": s.title,
        "start": s.start,
        "people": len(people),
        "peak_online": peak.peak_online if peak else 0,
        "by_country": _counts(people, lambda p: p["country"]),
        "by_organisation": _counts(people, lambda p: p["organisation"]),
        "by_language": _counts(people, lambda p: _longest(p["listened"])),
    }


# ---- the reads -------------------------------------------------------------------------


async def session_attendance(state: AppState, caller: Caller, session_id: str) -> list[dict]:
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.attendance_read)
        return await people_of(tx, s, utcnow())


def session_csv(people: list[dict], delimiter: str):
    """One row per person: the scalar fields, a ``room: <name>`` column per room and a
    ``listened: <language>`` column per language."""
    rooms = list(dict.fromkeys(r["name"] or r["room_id"] for p in people for r in p["rooms"]))
    langs = sorted({lang for p in people for lang in p["listened"]})
    header = [*SCALARS, *(f"room: {r}" for r in rooms), *(f"listened: {x}" for x in langs)]
    rows = []
    for p in people:
        by_room = {r["name"] or r["room_id"]: r["s"] for r in p["rooms"]}
        scal = [_cell(p[k]) for k in SCALARS]
        rows.append(
            scal + [by_room.get(r, 0) for r in rooms] + [p["listened"].get(x, 0) for x in langs]
        )
    return spreadsheets.response(header, rows, delimiter=delimiter, name="attendance")


def _cell(value):
    return z(value) if isinstance(value, dt.datetime) else value


async def event_attendance(state: AppState, caller: Caller, event_id: str) -> dict:
    now = utcnow()
    async with state.db.read() as tx:
        await load_event(tx, caller, event_id, Perm.attendance_read)
        sessions = await list_for_event(tx, event_id)
        summaries, everyone, heard = [], {}, {}
        for s in sessions:
            summaries.append(await session_summary(tx, s, now))
            for p in await people_of(tx, s, now):
                everyone[p["person_id"]] = p
                mine = heard.setdefault(p["person_id"], Counter())
                mine.update(p["listened"])
    people = list(everyone.values())
    return {
        "sessions": summaries,
        "unique_people": len(people),
        "countries": len({p["country"] for p in people if p["country"]}),
        "organisations": len({p["organisation"] for p in people if p["organisation"]}),
        "by_country": _counts(people, lambda p: p["country"]),
        "by_organisation": _counts(people, lambda p: p["organisation"]),
        "by_language": _counts(people, lambda p: _longest(dict(heard[p["person_id"]]))),
    }
