"""Per-person AudioBridge secrets, derived, never stored: HMAC(CONVENE_MEDIA_SECRET,
person | AudioBridge room | generation). The server hands them out in GET .../media
and the bridge computes the same ones for the ``allowed`` lists from the state it
follows, so the ticket endpoint writes nothing. Bumping the generation ends every
ticket at once."""

from __future__ import annotations

import hashlib
import hmac


def _mac(secret: str, *parts: str) -> str:
    msg = "|".join(parts).encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def join_token(secret: str, person_id: str, room: str, generation: int) -> str:
    """What the person passes as ``token`` in AudioBridge ``join``/``changeroom``."""
    return _mac(secret, person_id, room, str(generation))[:40]


def participant_id(secret: str, person_id: str, room: str, generation: int) -> str:
    """The AudioBridge participant id the person joins with: unguessable by others,
    so the bridge can tell who is who and nobody can pose as the live interpreter."""
    return "p" + _mac(secret, "id", person_id, room, str(generation))[:23]


def room_secret(secret: str, room: str) -> str:
    """The AudioBridge room's ``secret`` (mute, kick, allowed): the bridge's alone."""
    return _mac(secret, "room", room)[:40]
