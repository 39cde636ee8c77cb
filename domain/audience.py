"""Audience targets: to whom an event is told, as the strings stored beside it.

``"session"`` (everyone), ``"moderators"`` (moderators and observers),
``"room:<room_id>"`` (the people in that room as of that event),
``"person:<person_id>"`` and ``"channel:<room_id>:<language>"`` (the interpreters of
that booth who are in that room).
"""

from __future__ import annotations

SESSION = "session"
MODERATORS = "moderators"


def room(room_id: str) -> str:
    return f"room:{room_id}"


def person(person_id: str) -> str:
    return f"person:{person_id}"


def channel(room_id: str, language: str) -> str:
    return f"channel:{room_id}:{language}"


def persons(*person_ids: str | None) -> tuple[str, ...]:
    """Person targets without duplicates or ``None``s, in the given order."""
    return tuple(dict.fromkeys(person(pid) for pid in person_ids if pid is not None))
