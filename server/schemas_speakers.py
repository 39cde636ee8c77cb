"""Requests and answers of the speaker queue and chat (contract: "Speaker queue",
"Chat")."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .schemas import Lang, Strict

Id = Annotated[str, Field(min_length=1, max_length=64)]
MAX_TEXT = 2000


def _plain_text(value: str) -> str:
    """CR and CRLF become LF; any other control character is refused. Everything
    else (RTL text, bidi marks, emoji) is kept exactly as written."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for ch in value:
        if ch not in "\n\t" and unicodedata.category(ch) == "Cc":
            raise ValueError(
                f"control character U+{ord(ch):04X} is not allowed: send plain text "
                "(newlines and tabs are fine)"
            )
    if not value:
        raise ValueError("the message is empty")
    if len(value) > MAX_TEXT:
        raise ValueError(f"a message holds at most {MAX_TEXT} characters, this has {len(value)}")
    return value


ChatText = Annotated[str, AfterValidator(_plain_text)]


class HandRaise(Strict):
    language: Lang | None = None


class HandsOrder(Strict):
    room_id: Id | None = None
    hand_ids: list[Id] = Field(max_length=1000)


class ChatCreate(Strict):
    # kept as written: no stripping of the text (RTL and indentation included)
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    text: ChatText
    to: Id = Field(description='"room", "moderators", "booth" or a person id')
    room_id: Id | None = None
    language: Lang | None = None


class HandView(BaseModel):
    id: str
    person_id: str
    name: str
    room_id: str
    language: str
    raised_at: dt.datetime
    position: int = Field(description="1 = the head of the queue")


class ChatMessageView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    seq: int
    at: dt.datetime
    id: str
    from_: str = Field(alias="from")
    from_name: str
    from_role: str
    to: str
    room_id: str | None
    text: str
    language: str | None = None


class SpeakerCall(BaseModel):
    """Who has the floor now, and in which language (the room's floor follows)."""

    person_id: str
    room_id: str
    language: str
