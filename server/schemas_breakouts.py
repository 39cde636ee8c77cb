"""Requests of breakout rounds, moves between rooms and help requests (contract:
"Breakouts", "Help")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from .schemas import Lang, Strict


class MoveCreate(Strict):
    person_id: Annotated[str, Field(min_length=1, max_length=64)]
    room_id: Annotated[str, Field(min_length=1, max_length=64)]


class RoomCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    languages: list[Lang] = Field(default_factory=list, max_length=20)
    capacity: StrictInt | None = Field(None, ge=1, le=10_000)


class BreakoutCreate(Strict):
    rooms: list[RoomCreate] | None = Field(None, min_length=1, max_length=100)
    count: StrictInt | None = Field(None, ge=1, le=100)
    strategy: Literal["balanced", "by_language", "working_groups", "manual", "self_select"]
    duration_s: StrictInt | None = Field(None, gt=0, le=86_400)
    countdown_s: StrictInt = Field(60, ge=0, le=3_600)
    allow_return: StrictBool = True
    plan: None = None

    @model_validator(mode="after")
    def _rooms_or_count(self):
        if (self.rooms is None) == (self.count is None):
            raise ValueError("give either 'count' (1 to 100) or 'rooms' (a list), not both")
        if self.rooms is not None:
            names = [r.name.casefold() for r in self.rooms]
            dupes = sorted({r.name for r in self.rooms if names.count(r.name.casefold()) > 1})
            if dupes:
                raise ValueError(f"room names must be unique: {', '.join(dupes)} repeated")
        return self


class PlanMove(Strict):
    person_id: Annotated[str, Field(min_length=1, max_length=64)]
    room_id: Annotated[str, Field(min_length=1, max_length=64)] | None


class PlanExchange(Strict):
    person_a: Annotated[str, Field(min_length=1, max_length=64)]
    person_b: Annotated[str, Field(min_length=1, max_length=64)]


class PlanReplace(Strict):
    assignments: dict[str, str]
    replace: StrictBool = False


class Extend(Strict):
    seconds: StrictInt = Field(ge=-86_400, le=86_400)


class HelpCreate(Strict):
    text: Annotated[str, Field(max_length=500)] | None = None
