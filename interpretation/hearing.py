"""What a person hears: the one rule, shared by the domain and the snapshot.

A person keeps the language they asked for (their ``language``, or their last
``PUT /listening``) even while the event or their room has no channel for it, so
that they hear it as soon as a channel appears (a language added late, a move);
until then they hear the event's floor-language channel.
"""

from __future__ import annotations

from collections.abc import Container


def heard_language(requested: str | None, channels: Container[str], floor_language: str) -> str:
    """``requested`` where ``channels`` (the languages of the person's room, or of the
    event before they have a room) has it, else ``floor_language``."""
    if requested is not None and requested in channels:
        return requested
    return floor_language
