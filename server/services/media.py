"""Media tickets: where a person's client joins Janus, and with which tokens.

A read: the tokens are derived (server/media/tickets.py), so answering stores
nothing, and the bridge computes the same ones from the state it follows."""

from __future__ import annotations

import interpretation as ip

from .. import errors
from ..auth import Caller, Perm, load_session
from ..media import tickets, topology
from ..models import Person, Placement
from ..state import AppState
from . import interpretation as interp


async def media_ticket(state: AppState, caller: Caller, session_id: str) -> dict:
    """404/403, then 503 when media is not configured, then 409 when the caller is in
    no room of the session yet."""
    async with state.db.read() as tx:
        s = await load_session(tx, caller, session_id, Perm.media_join)
        if caller.person is None:
            raise errors.Forbidden(
                "the admin token is not a person: a media ticket is for the person who joins"
            )
        settings = state.settings
        if not settings.janus_url or not (
            settings.media_secret and settings.media_secret.get_secret_value()
        ):
            raise errors.Problem(
                "media is not configured on this service: set CONVENE_JANUS_URL and "
                "CONVENE_MEDIA_SECRET",
                status=503,
            )
        lo = await interp.load(tx, s)
        person: Person = caller.person
        # where the person is, as their own snapshot and room.moved say (and the bridge)
        att = await tx.get(Placement, (s.id, person.id))
    member = lo.state.members.get(person.id)
    room_id = att.room_id if att else None
    if room_id not in lo.state.rooms:
        raise errors.Conflict(
            "you are in no room of this session yet: connect to its WebSocket first, "
            "then ask again",
            current=None,
        )
    view = ip.room_view(lo.state, room_id)
    heard = (member.chosen or member.listening) if member else att.listening
    media = topology.state_from_views(
        [view],
        [{"id": person.id, "role": person.role, "room_id": room_id, "listening": heard}],
        lo.event.floor_language,
    )
    where = topology.placement(media, person.id)
    secret, gen = settings.media_secret.get_secret_value(), settings.media_generation

    def join(room: str) -> dict:
        return {
            "room": room,
            "token": tickets.join_token(secret, person.id, room, gen),
            "id": tickets.participant_id(secret, person.id, room, gen),
        }

    return {
        "janus_url": settings.janus_url,
        "room_id": room_id,
        "language": where.language,
        "listen": join(where.listen),
        "speak": [join(r) for r in where.speak],
        "generation": gen,
    }
