"""The handshake's token re-check (``session_socket._token_ended``), one statement
per batch of handshakes instead of one per handshake.

In a connect storm the re-check was a statement of its own for every client: in
py-spy about a sixth of the loop's time, most of it SQLAlchemy building, caching and
running the same select. Handshakes that ask while a batch is being read are read
together in the next one (``Batcher``: a lone handshake goes at once). Each caller
asks after its cursor is fixed, and its batch is read after it asked, so an end at or
before the cursor is still seen by the read."""

from __future__ import annotations

from sqlmodel import select

from ..db import Database
from ..models import Person
from ..services.batches import Batcher


class Recheck:
    def __init__(self, db: Database):
        self.db = db
        self.batches: Batcher[list] = Batcher(self._read)
        self.reads = 0  # statements run (tests: fewer than handshakes in a storm)

    async def person(self, session_id: str, person_id: str):
        """The person's row now (``token_hash``, ``event_id``, ``role``,
        ``interprets``, ``language``), or None once they were removed."""
        slot = [person_id, None]
        await self.batches.submit(session_id, slot)
        return slot[1]

    async def _read(self, session_id: str, slots: list[list]) -> None:
        ids = sorted({s[0] for s in slots})
        async with self.db.quick() as tx:
            rows = (
                await tx.exec(
                    select(
                        Person.id,
                        Person.token_hash,
                        Person.event_id,
                        Person.role,
                        Person.interprets,
                        Person.language,
                    ).where(Person.id.in_(ids))
                )
            ).all()
        self.reads += 1
        found = {r.id: r for r in rows}
        for s in slots:
            s[1] = found.get(s[0])
