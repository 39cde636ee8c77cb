"""``convene demo``: the 2021 kick-off of the working groups, created through the HTTP
API of a running service, so that a newcomer has tokens and a WebSocket URL to try.

The data are fictitious but shaped like the real event (see the context notes): an
English floor with Arabic and Russian booths, about 45 people from municipalities in
South-East Europe, the Caucasus, Germany and the MENA region, each in their own time
zone and with one or two working groups in order of preference. ``kickoff_people()``
is the table as API request bodies, for tests to reuse."""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

EVENT = {
    "title": "Digital municipalities: kick-off of the working groups",
    "timezone": "Europe/Berlin",
    "floor_language": "en",
    "interpretation_languages": ["ar", "ru"],
}
SESSION = {
    "title": "Kick-off plenary",
    "start": "2021-08-31T14:00",
    "end": "2021-08-31T16:00",
    "timezone": "Europe/Berlin",
}
GROUPS = (
    "Digital divide",
    "Digital literacy",
    "Public service design optimisation",
    "Digitalisation of municipal services",
    "City Lab collaborations",
)
ZONES = {
    "Georgia": "Asia/Tbilisi",
    "Ukraine": "Europe/Kyiv",
    "Belarus": "Europe/Minsk",
    "Moldova": "Europe/Chisinau",
    "Kosovo": "Europe/Belgrade",
    "Serbia": "Europe/Belgrade",
    "Bosnia and Herzegovina": "Europe/Sarajevo",
    "Turkey": "Europe/Istanbul",
    "Armenia": "Asia/Yerevan",
    "Azerbaijan": "Asia/Baku",
    "Albania": "Europe/Tirane",
    "Germany": "Europe/Berlin",
    "Jordan": "Asia/Amman",
    "Lebanon": "Asia/Beirut",
    "Palestine": "Asia/Hebron",
    "Egypt": "Africa/Cairo",
    "Tunisia": "Africa/Tunis",
}
# name | role | organisation | country | language | interprets (comma-separated)
STAFF = """\
Katrin Vogel   | moderator   | Municipal Exchange Network (organiser) | Germany | en |
Samir Mansour  | moderator   | Municipal Exchange Network (organiser) | Germany | en |
Rania Haddad   | interpreter | Arabic booth  | Jordan  | ar | en>ar,ar>en
Omar Khalil    | interpreter | Arabic booth  | Lebanon | ar | en>ar,ar>en
Irina Volkova  | interpreter | Russian booth | Germany | ru | en>ru,ru>en
Pavel Orlov    | interpreter | Russian booth | Germany | ru | en>ru
Media bridge   | observer    | Streaming and recording | Germany | en |
"""

# name | organisation | country | language | working groups (1-5, in order of preference)
PARTICIPANTS = """\
Nino Beridze          | City of Tbilisi                 | Georgia                | en | 4,3
Giorgi Kapanadze      | Kutaisi City Hall               | Georgia                | en | 1
Tamar Lomidze         | Batumi City Hall                | Georgia                | en | 5,2
Olena Kovalenko       | Lutsk City Council              | Ukraine                | en | 4
Andriy Melnyk         | Lviv City Council               | Ukraine                | ru | 2,1
Iryna Shevchuk        | Kharkiv City Council            | Ukraine                | en | 3,4
Tatsiana Kavalchuk    | Brest City Executive Committee  | Belarus                | ru | 1,2
Siarhei Novik         | Hrodna City Executive Committee | Belarus                | ru | 4
Ion Rusu              | Chisinau City Hall              | Moldova                | en | 3
Elena Ciobanu         | Balti City Hall                 | Moldova                | en | 2,5
Arben Krasniqi        | Municipality of Prishtina       | Kosovo                 | en | 4,5
Blerta Gashi          | Municipality of Prizren         | Kosovo                 | en | 1
Jelena Petrovic       | City of Novi Sad                | Serbia                 | en | 5
Milos Jovanovic       | City of Nis                     | Serbia                 | en | 3,4
Amra Hadzic           | City of Sarajevo                | Bosnia and Herzegovina | en | 2
Emir Mehmedovic       | City of Tuzla                   | Bosnia and Herzegovina | en | 4,1
Ayse Yildiz           | Antalya Metropolitan Municipality | Turkey               | en | 5,3
Mehmet Demir          | Gaziantep Metropolitan Municipality | Turkey             | en | 1,4
Ani Grigoryan         | Yerevan Municipality            | Armenia                | en | 3
Armen Sargsyan        | Gyumri Municipality             | Armenia                | ru | 4,2
Leyla Mammadova       | Ganja City Executive Power      | Azerbaijan             | ru | 2
Rashad Aliyev         | Baku City Executive Power       | Azerbaijan             | en | 4,3
Erion Hoxha           | Municipality of Tirana          | Albania                | en | 3,5
Klodiana Shehu        | Municipality of Shkoder         | Albania                | en | 1,2
Julia Brandt          | City of Essen                   | Germany                | en | 4,5
Markus Weber          | City of Nuremberg               | Germany                | en | 5
Sabine Hoffmann       | City of Heidelberg              | Germany                | en | 2,1
Lina Haddadin         | Greater Irbid Municipality      | Jordan                 | en | 1,4
Khaled Al-Zoubi       | Greater Mafraq Municipality     | Jordan                 | ar | 4
Dana Obeidat          | Zarqa Municipality              | Jordan                 | ar | 2,1
Rami Karam            | Tripoli Municipality            | Lebanon                | en | 3
Maya Saad             | Saida Municipality              | Lebanon                | ar | 1,2
Yousef Shaheen        | Nablus Municipality             | Palestine              | ar | 4,3
Reem Khoury           | Ramallah Municipality           | Palestine              | en | 5,4
Mona Farouk           | Alexandria Governorate          | Egypt                  | ar | 2
Ahmed Soliman         | Giza Governorate                | Egypt                  | en | 3,1
Sami Trabelsi         | Municipality of Sfax            | Tunisia                | en | 4,5
Amira Ben Salah       | Municipality of Sousse          | Tunisia                | ar | 1
"""


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in table.splitlines()]


def _email(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    first, *rest = ascii_name.lower().replace("-", "").split()
    return f"{first}.{''.join(rest)}@example.org"


def kickoff_people() -> list[dict[str, Any]]:
    """The people of the kick-off, as ``POST /api/events/{id}/people`` bodies."""
    people: list[dict[str, Any]] = []
    for name, role, org, country, lang, interprets in _rows(STAFF):
        person: dict[str, Any] = {
            "name": name,
            "role": role,
            "timezone": ZONES[country],
            "language": lang,
            "organisation": org,
            "country": country,
        }
        if role != "observer":
            person["email"] = _email(name)
        if interprets:
            person["interprets"] = interprets.split(",")
        people.append(person)
    for name, org, country, lang, groups in _rows(PARTICIPANTS):
        people.append(
            {
                "name": name,
                "role": "participant",
                "email": _email(name),
                "timezone": ZONES[country],
                "language": lang,
                "organisation": org,
                "country": country,
                "groups": [GROUPS[int(g) - 1] for g in groups.split(",")],
            }
        )
    return people


# ---- talking to the service -----------------------------------------------------------


class DemoError(Exception):
    """A problem the user can fix; printed as one sentence, never as a traceback."""


@dataclass
class Demo:
    """What ``create`` made: ids, and the created people with their tokens."""

    event_id: str
    session_id: str
    session_start_utc: str
    people: list[dict[str, Any]] = field(default_factory=list)

    def first(self, role: str) -> dict[str, Any]:
        return next(p for p in self.people if p["role"] == role)


def admin_token_from_file() -> str:
    from pydantic import ValidationError

    from .admin_token import token_path
    from .settings import Settings

    try:
        path: Path = token_path(Settings())
    except ValidationError as exc:
        raise DemoError(f"invalid CONVENE_* setting: {exc.errors()[0]['msg']}") from None
    try:
        token = path.read_text().strip()
    except OSError:
        raise DemoError(
            f"no admin token: {path.resolve()} does not exist. Run the demo in the directory "
            "where `convene serve` runs (or set CONVENE_DATA_DIR), or pass --token "
            "(or CONVENE_ADMIN_TOKEN)"
        ) from None
    if not token:
        raise DemoError(f"the admin token file {path.resolve()} is empty; pass --token")
    return token


def _call(client: httpx.Client, method: str, path: str, body: dict) -> dict[str, Any]:
    base = str(client.base_url).rstrip("/")
    try:
        response = client.request(method, path, json=body)
    except httpx.UnsupportedProtocol:
        raise DemoError(
            f"{base} is not a service URL: give one like http://127.0.0.1:8000"
        ) from None
    except httpx.TransportError as exc:
        raise DemoError(
            f"the service at {base} is not reachable ({type(exc).__name__}): start it with "
            "`convene serve` (or `make run`), or pass --url"
        ) from None
    if response.status_code == 401:
        raise DemoError(
            f"the service at {base} refused the admin token (401): use the content of the "
            "file whose path it logs at start-up, with --token or CONVENE_ADMIN_TOKEN"
        )
    if response.status_code == 403:
        raise DemoError(
            "the token is valid but is not the admin token (403): `convene demo` needs the "
            "operator's token"
        )
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.is_error or not isinstance(payload, dict):
        detail = payload.get("detail") if isinstance(payload, dict) else None
        raise DemoError(
            f"{method} {base}{path} answered {response.status_code}"
            + (f": {detail}" if detail else "; is this a Convene service?")
        )
    return payload


def create(client: httpx.Client) -> Demo:
    """Create the event, its people and its session with the admin ``client``."""
    event = _call(client, "POST", "/api/events", EVENT)
    people = [
        _call(client, "POST", f"/api/events/{event['id']}/people", body)
        for body in kickoff_people()
    ]
    session = _call(client, "POST", f"/api/events/{event['id']}/sessions", SESSION)
    return Demo(event["id"], session["id"], session["start"], people)


def ws_base(url: str) -> str:
    """``http://host:port/x`` -> ``ws://host:port/x`` (``https`` -> ``wss``)."""
    parts = urlsplit(url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))


def report(demo: Demo, url: str) -> str:
    url = url.rstrip("/")
    ws = f"{ws_base(url)}/ws/sessions/{demo.session_id}"
    roles = ("moderator", "interpreter", "participant", "observer")
    counts = {role: sum(p["role"] == role for p in demo.people) for role in roles}
    lines = [
        f"event    {demo.event_id}  {EVENT['title']}",
        f"session  {demo.session_id}  {SESSION['title']}, "
        f"{SESSION['start']} {SESSION['timezone']} = {demo.session_start_utc}",
        "people   " + ", ".join(f"{n} {role}{'s' * (n != 1)}" for role, n in counts.items()),
        "",
    ]
    for role in roles:
        p = demo.first(role)
        lines += [
            f"{role}: {p['name']} ({p.get('organisation') or p['country']}, {p['timezone']})",
            f"  token      {p['token']}",
            f"  websocket  {ws}?token={p['token']}",
            f"  console    {p.get('join_url') or url + '/join#token=' + p['token']}",
        ]
    lines += ["", "join links (one per person; the token sits after #, so no log holds it):"]
    width = max(len(p["name"]) for p in demo.people)
    for role in roles:
        for p in (p for p in demo.people if p["role"] == role):
            lines.append(f"  {role:<11} {p['name']:<{width}}  {p['join_url']}")
    moderator = demo.first("moderator")["token"]
    lines += [
        "",
        "try:",
        f'  curl -H "Authorization: Bearer {moderator}" {url}/api/events/{demo.event_id}/people',
    ]
    return "\n".join(lines)


def run(url: str, token: str | None) -> None:
    """Entry point of ``convene demo``: errors go to stderr as one line, exit status 1."""
    try:
        admin = token or admin_token_from_file()
        with httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {admin}"},
            timeout=10.0,
        ) as client:
            demo = create(client)
    except httpx.InvalidURL as exc:
        print(f"convene demo: --url {url!r} is not a valid URL ({exc})", file=sys.stderr)
        raise SystemExit(1) from None
    except DemoError as exc:
        print(f"convene demo: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(report(demo, url))
