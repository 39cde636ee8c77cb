"""Typed schemas of the speaker-queue and chat events: the queue's derived from the
dataclasses ``interpretation.speakers`` emits (validated here before they are
stored), chat's written here (chat is the server's own, no domain)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field

from interpretation import speakers as sp

from .events import EventData, derived

# the queue's schemas, derived from the domain's dataclasses (one definition each)
QUEUE: tuple[type[EventData], ...] = tuple(derived(cls) for cls in sp.EVENT_TYPES.values())


class ChatMessage(EventData):
    """``text`` is blanked in place (and ``deleted`` set) when the message is deleted."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    type: ClassVar[str] = "chat.message"
    id: str
    from_: str = Field(alias="from")
    from_name: str
    from_role: str
    to: str
    room_id: str | None
    text: str
    language: str | None = None
    deleted: bool = False


class ChatDeleted(EventData):
    type: ClassVar[str] = "chat.deleted"
    id: str


SCHEMAS: tuple[type[EventData], ...] = (*QUEUE, ChatMessage, ChatDeleted)
