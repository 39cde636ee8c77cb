"""Shared kick-off data for the breakout tests, modelled on the 2021 kick-off.

45 people: 2 moderators, 4 interpreters (Arabic and Russian booths), 1
observer and 38 participants from municipalities in South-East Europe, the
Caucasus, MENA and Germany; working language English, some need Arabic or
Russian; everyone registered for one or two of the five working groups.
Other test modules import the builders from here; the tests below keep the
data honest.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime

from breakouts.events import EVENT_TYPES, Event
from breakouts.model import Member, Placement, Role, RoomDraft, Round
from breakouts.rounds import create_round
from domain.audience import MODERATORS, SESSION

# 31 Aug 2021, 14:00 CEST
NOW = datetime(2021, 8, 31, 12, 0, tzinfo=UTC)
EVENT_LANGUAGES = ("en", "ar", "ru")
FLOOR = "en"
PLENARY = "plenary-1"
SESSION_ID = "session-1"

GROUPS = (
    "Digital divide",
    "Digital literacy",
    "Public service design optimisation",
    "Digitalisation of municipal services",
    "City Lab collaborations",
)

# name, city, language needed (None: English is fine), working groups by preference
_PARTICIPANTS: tuple[tuple[str, str, str | None, tuple[int, ...]], ...] = (
    ("Arta Hoxha", "Tirana", None, (0, 1)),
    ("Elira Dervishi", "Tirana", None, (3,)),
    ("Nino Beridze", "Tbilisi", None, (4, 0)),
    ("Giorgi Kapanadze", "Tbilisi", "ru", (3, 2)),
    ("Jana Schulte", "Essen", None, (4,)),
    ("Lukas Brandt", "Essen", None, (2, 4)),
    ("Olena Kovalenko", "Lutsk", "ru", (0,)),
    ("Andriy Melnyk", "Lutsk", "ru", (1, 0)),
    ("Ion Rusu", "Chisinau", "ru", (3,)),
    ("Maria Ciobanu", "Chisinau", None, (1,)),
    ("Alyaksandr Novik", "Minsk", "ru", (2,)),
    ("Drita Krasniqi", "Pristina", None, (0, 2)),
    ("Besnik Gashi", "Pristina", None, (3, 1)),
    ("Milica Jovanovic", "Belgrade", None, (1, 4)),
    ("Nikola Petrovic", "Belgrade", None, (3,)),
    ("Amra Hadzic", "Sarajevo", None, (2,)),
    ("Emir Delic", "Sarajevo", None, (0,)),
    ("Ayse Yilmaz", "Antalya", None, (4, 3)),
    ("Mehmet Demir", "Antalya", None, (2, 3)),
    ("Anahit Sargsyan", "Yerevan", "ru", (1,)),
    ("Leyla Aliyeva", "Baku", "ru", (0, 3)),
    ("Rami Khalil", "Nablus", "ar", (0, 1)),
    ("Huda Nasser", "Nablus", "ar", (2,)),
    ("Omar Haddad", "Ramallah", "ar", (3, 0)),
    ("Lina Saleh", "Ramallah", "ar", (1,)),
    ("Yousef Al-Masri", "Amman", "ar", (4,)),
    ("Rana Obeidat", "Irbid", "ar", (0,)),
    ("Karim Ben Salah", "Tunis", "ar", (2, 4)),
    ("Sami Aoun", "Beirut", None, (3,)),
    ("Hanna Weber", "Hamburg", None, (1, 2)),
    ("Felix Bauer", "Munich", None, (4, 1)),
    ("Sophie Krause", "Heidelberg", None, (0,)),
    ("Tobias Wolf", "Nuremberg", None, (2,)),
    ("Claire Martin", "Nice", None, (3, 4)),
    ("Chen Wei-Lin", "Taipei", None, (4,)),
    ("Jean Mugisha", "Kigali", None, (1, 3)),
    ("Katrin Vogel", "Dusseldorf", None, (0, 4)),
    ("Murat Kaya", "Antalya", None, ()),
)

_STAFF: tuple[tuple[str, Role, str | None], ...] = (
    ("Anna Lehmann", Role.MODERATOR, None),
    ("David Okafor", Role.MODERATOR, None),
    ("Samira Fares", Role.INTERPRETER, "ar"),
    ("Tarek Mansour", Role.INTERPRETER, "ar"),
    ("Irina Volkova", Role.INTERPRETER, "ru"),
    ("Pavel Orlov", Role.INTERPRETER, "ru"),
    ("Stream Recorder", Role.OBSERVER, None),
)


def _email(name: str) -> str:
    return name.lower().replace(" ", ".").replace("-", "") + "@example.org"


def kickoff_members() -> list[Member]:
    """The 45 people of the kick-off, participants first, ids p01..p38 and s01..s07."""
    people = [
        Member(
            person_id=f"p{number:02d}",
            role=Role.PARTICIPANT,
            language=language,
            groups=tuple(GROUPS[i] for i in groups),
            online=number % 7 != 0,  # a few are offline at any moment
            email=_email(name),
            name=name,
        )
        for number, (name, _city, language, groups) in enumerate(_PARTICIPANTS, start=1)
    ]
    people += [
        Member(f"s{number:02d}", role, language, (), True, _email(name), name)
        for number, (name, role, language) in enumerate(_STAFF, start=1)
    ]
    return people


def kickoff_rooms(*, languages: bool = True) -> list[RoomDraft]:
    """The five working-group rooms; two carry Arabic, two Russian, one English only."""
    carried = (("ar",), ("ru",), ("ar",), ("ru",), ()) if languages else ((),) * 5
    return [RoomDraft(name, langs) for name, langs in zip(GROUPS, carried, strict=True)]


def id_factory(prefix: str) -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def make_round(strategy: str = "balanced", **options) -> Round:
    """A planned kick-off round (five working-group rooms unless ``count`` is given)."""
    members = options.pop("members", kickoff_members())
    if "count" not in options:
        options.setdefault("rooms", kickoff_rooms())
    round_, _events = create_round(
        round_id=options.pop("round_id", "round-1"),
        session_id=SESSION_ID,
        strategy=strategy,
        members=members,
        event_languages=EVENT_LANGUAGES,
        floor_language=FLOOR,
        now=options.pop("now", NOW),
        new_room_id=options.pop("new_room_id", id_factory("r")),
        **options,
    )
    return round_


def everyone_in_plenary(members: list[Member] | None = None) -> Placement:
    return Placement({m.person_id: PLENARY for m in members or kickoff_members()})


def by_id(members: list[Member] | None = None) -> dict[str, Member]:
    return {m.person_id: m for m in members or kickoff_members()}


def _json_default(value: object) -> str:
    assert isinstance(value, datetime), f"not JSON-serialisable: {value!r}"
    assert value.utcoffset() is not None and value.utcoffset().total_seconds() == 0
    return value.isoformat()


def check_event(event: Event) -> dict:
    """The event follows the convention; returns its JSON round-tripped data."""
    assert EVENT_TYPES[event.type] is type(event)
    assert event.audience and len(set(event.audience)) == len(event.audience)
    for target in event.audience:
        assert target in (SESSION, MODERATORS) or target.startswith(("room:", "person:"))
        assert target not in ("room:", "person:", "room:None", "person:None")
    return json.loads(json.dumps(event.data(), default=_json_default))


def test_kickoff_has_45_people_of_every_role() -> None:
    members = kickoff_members()
    assert len(members) == 45
    assert len({m.person_id for m in members}) == 45
    roles = {role: sum(m.role is role for m in members) for role in Role}
    assert roles == {Role.PARTICIPANT: 38, Role.MODERATOR: 2, Role.INTERPRETER: 4, Role.OBSERVER: 1}


def test_kickoff_needs_arabic_and_russian_and_uses_all_five_groups() -> None:
    participants = [m for m in kickoff_members() if m.role is Role.PARTICIPANT]
    assert {m.language for m in participants} == {None, "ar", "ru"}
    assert {g for m in participants for g in m.groups} == set(GROUPS)
    assert any(not m.groups for m in participants)
    assert any(not m.online for m in participants)
