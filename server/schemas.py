"""Request and response models. Requests forbid unknown fields (422 naming them)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from interpretation.languages import is_language_code
from scheduler.zones import TimeInputError, get_zone

from .auth import Role
from .nul import refuse_nul


def _zone(value: str) -> str:
    try:
        get_zone(value)
    except TimeInputError as exc:
        raise ValueError(exc.detail) from None
    return value


def _lang(value: str) -> str:
    if not is_language_code(value):
        raise ValueError(
            f"{value!r} is not an ISO 639-1 language code (two lowercase letters, e.g. 'en', 'ar')"
        )
    return value


def _direction(value: str) -> str:
    src, sep, dst = value.partition(">")
    if not sep or not is_language_code(src) or not is_language_code(dst) or src == dst:
        raise ValueError(
            f"{value!r} is not an interpreting direction: write 'from>to' with two different "
            "ISO 639-1 codes, e.g. 'en>ar'"
        )
    return value


@cache
def min_turn_s() -> int:
    """The shortest ``turn_s`` an event may set: 60 seconds, unless the service is
    configured otherwise (``CONVENE_MIN_TURN_S``; tests use it to see turns end)."""
    from .settings import Settings

    return Settings().min_turn_s


def _turn_s(value: int) -> int:
    least = min_turn_s()
    if value < least:
        raise ValueError(
            f"turn_s must be at least {least} seconds (a turn in the booth before the "
            "partner is reminded)"
        )
    return value


Zone = Annotated[str, AfterValidator(_zone)]
TurnSeconds = Annotated[
    StrictInt,
    Field(
        ge=1,
        le=14400,
        description="seconds on air before the partner is reminded (turn.due); at least 60",
    ),
    AfterValidator(_turn_s),
]
# their form in the OpenAPI document, so that a generated client or form can check
# them before sending (the validators also check the code is a registered one)
LANG_FORM = {
    "type": "string",
    "pattern": "^[a-z]{2}$",
    "description": "an ISO 639-1 language code, e.g. 'en', 'ar'",
}
DIRECTION_FORM = {
    "type": "string",
    "pattern": "^[a-z]{2}>[a-z]{2}$",
    "description": "an interpreting direction, 'from>to' in ISO 639-1 codes, e.g. 'en>ar'",
}
Lang = Annotated[str, AfterValidator(_lang), WithJsonSchema(LANG_FORM)]
DirectionStr = Annotated[str, AfterValidator(_direction), WithJsonSchema(DIRECTION_FORM)]
Title = Annotated[str, Field(min_length=1, max_length=300)]


def _keys_are_languages(schema: dict[str, Any]) -> None:
    """A dict keyed by language: pydantic turns the key's pattern into
    ``patternProperties``, which lets any other key through; ``propertyNames`` says
    what the service checks."""
    ((pattern, values),) = schema.pop("patternProperties").items()
    schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
    schema["additionalProperties"] = values


def _refuse_null(schema: dict[str, Any], cls: type) -> None:
    """A PATCH body's ``NOT_NULL`` fields may be left out (to keep their value) but
    not sent as null, which the service refuses with a 422: the document declares
    them optional and not nullable (``X | None`` alone would say nullable)."""
    for name in cls.NOT_NULL:
        prop = schema["properties"][name]
        (kept,) = [alt for alt in prop.pop("anyOf") if alt != {"type": "null"}]
        prop.update(kept)
        prop.pop("default", None)


class Strict(BaseModel):
    """Request bodies: unknown fields and NUL characters (any string, at any depth)
    are 422 naming the field. Numbers and flags are ``StrictInt``/``StrictBool``: a
    plain ``int`` takes ``true`` as 1 and ``"5"`` as 5 (tests walk the OpenAPI
    document for any that slipped through)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _no_nul = field_validator("*", mode="before")(refuse_nul)


def _utc(v: dt.datetime) -> str:
    return v.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


UTCInstant = Annotated[
    dt.datetime,
    PlainSerializer(_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


class Out(BaseModel):
    """Response models: instants as ISO 8601 UTC with Z."""

    model_config = ConfigDict(from_attributes=True)


# ---- events -------------------------------------------------------------------------


def _unique_langs(langs: list[str], floor: str | None) -> list[str]:
    seen: list[str] = []
    for lang in langs:
        if lang in seen:
            raise ValueError(f"interpretation language {lang!r} is listed twice")
        seen.append(lang)
    if floor and floor in seen:
        raise ValueError(
            f"{floor!r} is the floor language; do not list it as an interpretation one"
        )
    return seen


class EventCreate(Strict):
    title: Title
    timezone: Zone = "Europe/Berlin"
    floor_language: Lang = "en"
    interpretation_languages: list[Lang] = Field(
        default_factory=lambda: ["ar", "ru"], max_length=40
    )
    handover_timeout_s: StrictInt = Field(30, ge=5, le=600)
    dropout_grace_s: StrictInt = Field(10, ge=0, le=600)
    turn_s: TurnSeconds = 1800
    working_hours: list[str] = Field(default_factory=lambda: ["08:00", "21:00"])

    @model_validator(mode="after")
    def _langs(self):
        _unique_langs(self.interpretation_languages, self.floor_language)
        _hours(self.working_hours)
        return self


def _hours(value: list[str]) -> None:
    try:
        a, b = (dt.time.fromisoformat(x) for x in value)
    except (ValueError, TypeError):
        raise ValueError("working_hours must be two local times, e.g. ['08:00', '21:00']") from None
    if not a < b:
        raise ValueError("working_hours: the first time must be before the second")


class EventUpdate(Strict):
    NOT_NULL: ClassVar[tuple[str, ...]] = (
        "title",
        "timezone",
        "interpretation_languages",
        "handover_timeout_s",
        "dropout_grace_s",
        "turn_s",
        "working_hours",
    )
    model_config = ConfigDict(json_schema_extra=_refuse_null)

    title: Title | None = None
    timezone: Zone | None = None
    interpretation_languages: list[Lang] | None = Field(None, max_length=40)
    handover_timeout_s: StrictInt | None = Field(None, ge=5, le=600)
    dropout_grace_s: StrictInt | None = Field(None, ge=0, le=600)
    turn_s: TurnSeconds | None = None
    working_hours: list[str] | None = None

    @field_validator("working_hours")
    @classmethod
    def _wh(cls, v):
        if v is not None:
            _hours(v)
        return v


class EventPublic(Out):
    id: str
    title: str
    timezone: str
    floor_language: str
    interpretation_languages: list[str]
    handover_timeout_s: int
    dropout_grace_s: int
    turn_s: int
    working_hours: list[str]
    created_at: UTCInstant


# ---- people -------------------------------------------------------------------------


class PersonCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    timezone: Zone = "UTC"
    language: Lang | None = None
    interprets: list[DirectionStr] = Field(default_factory=list, max_length=20)
    groups: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    organisation: Annotated[str, Field(max_length=200)] | None = None
    country: Annotated[str, Field(max_length=100)] | None = None

    @model_validator(mode="after")
    def _interpreter(self):
        if self.interprets and self.role != Role.INTERPRETER:
            raise ValueError("only a person with role 'interpreter' may have 'interprets'")
        if len(set(self.interprets)) != len(self.interprets):
            raise ValueError("'interprets' lists a direction twice")
        return self


class PersonUpdate(Strict):
    NOT_NULL: ClassVar[tuple[str, ...]] = ("name", "timezone", "interprets", "groups")
    model_config = ConfigDict(json_schema_extra=_refuse_null)

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    timezone: Zone | None = None
    language: Lang | None = None
    interprets: list[DirectionStr] | None = Field(None, max_length=20)
    groups: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = None
    organisation: Annotated[str, Field(max_length=200)] | None = None
    country: Annotated[str, Field(max_length=100)] | None = None


class PersonPublic(Out):
    id: str
    event_id: str
    name: str
    role: Role
    email: str | None = None
    timezone: str
    language: str | None = None
    interprets: list[str] = []
    groups: list[str] = []
    organisation: str | None = None
    country: str | None = None


class PersonWithPlace(PersonPublic):
    """Moderators' view: where the person belongs now and whether they are online."""

    room_id: str | None = None
    session_id: str | None = None
    online: bool = False


class LinksRequest(Strict):
    """Whose join links to re-issue: the people listed and the people of the roles
    named (observers only when named; the caller only when listed)."""

    person_ids: list[Annotated[str, Field(max_length=36)]] | None = Field(None, max_length=5000)
    roles: list[Role] | None = Field(None, max_length=4)


class PersonCreated(PersonPublic):
    token: str
    join_url: str


# ---- sessions -----------------------------------------------------------------------

Instant = str | dt.datetime
SessionStatusName = Literal["scheduled", "lobby", "live", "ended", "cancelled"]


def _reminders(v: list[int] | None) -> list[int] | None:
    if v is None:
        return v
    for x in v:
        if x <= 0 or x > 30 * 86400:
            raise ValueError(
                f"reminders_s value {x} is out of range: give seconds before start, "
                "1 to 2592000 (30 days)"
            )
    return sorted(set(v), reverse=True)


class SessionCreate(Strict):
    title: Title
    kind: Annotated[str, Field(min_length=1, max_length=32)] = "plenary"
    start: Instant
    end: Instant
    timezone: Zone | None = None
    lobby_lead_s: StrictInt = Field(900, ge=0, le=86400)
    auto_live: StrictBool = False
    auto_end: StrictBool = False
    reminders_s: list[StrictInt] = Field(default_factory=lambda: [86400, 900], max_length=10)

    @field_validator("reminders_s")
    @classmethod
    def _r(cls, v):
        return _reminders(v)


class SessionUpdate(Strict):
    NOT_NULL: ClassVar[tuple[str, ...]] = (
        "title",
        "lobby_lead_s",
        "auto_live",
        "auto_end",
        "reminders_s",
    )
    model_config = ConfigDict(json_schema_extra=_refuse_null)

    title: Title | None = None
    start: Instant | None = None
    end: Instant | None = None
    timezone: Zone | None = None
    lobby_lead_s: StrictInt | None = Field(None, ge=0, le=86400)
    auto_live: StrictBool | None = None
    auto_end: StrictBool | None = None
    reminders_s: list[StrictInt] | None = Field(None, max_length=10)

    @field_validator("reminders_s")
    @classmethod
    def _r(cls, v):
        return _reminders(v)


class SessionPublic(Out):
    id: str
    event_id: str
    title: str
    kind: str
    start: UTCInstant
    end: UTCInstant
    timezone: str
    status: SessionStatusName
    lobby_lead_s: int
    auto_live: bool
    auto_end: bool
    reminders_s: list[int]
    plenary_room_id: str | None
    seq: int
    ws_url: str | None = None


class StatusChange(Strict):
    status: Literal["lobby", "live", "ended", "cancelled"]


class BroadcastCreate(Strict):
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    translations: dict[Lang, Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=dict, json_schema_extra=_keys_are_languages
    )


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
