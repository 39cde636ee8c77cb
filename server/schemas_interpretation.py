"""Requests of interpretation: floor language, listening language, handover
(contract: "Interpretation")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .schemas import Lang, Strict


class FloorSet(Strict):
    language: Lang
    room_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class ListeningSet(Strict):
    language: Lang


class HandoverCreate(Strict):
    to: Annotated[str, Field(min_length=1, max_length=64)]
