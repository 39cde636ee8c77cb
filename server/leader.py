"""Who runs the timers. On PostgreSQL: the holder of an advisory lock taken on one
dedicated connection outside the pool (with TCP keepalives), re-checked every 2 s;
on SQLite: the one process. Each gain bumps the fencing term in ``leader_terms``,
which every timer transaction checks, so a deposed leader changes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import make_url
from sqlmodel import select

from .db import Database
from .models import LeaderTerm, utcnow

log = logging.getLogger("convene.leader")

LOCK_KEY = 7_310_002
NAME = "timers"


async def bump_term(db: Database, holder: str) -> int:
    async with db.write() as tx:
        row = (
            await tx.exec(select(LeaderTerm).where(LeaderTerm.name == NAME).with_for_update())
        ).first()
        if row is None:
            row = LeaderTerm(name=NAME, term=0)
        row.term += 1
        row.holder = holder
        row.since = utcnow()
        tx.add(row)
    return row.term


class Leadership:
    def __init__(
        self,
        db: Database,
        instance_id: str,
        on_gain: Callable[[int], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
        check_s: float = 2.0,
    ):
        self.db = db
        self.instance_id = instance_id
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.check_s = check_s
        self.term: int | None = None
        self._conn = None

    @property
    def is_leader(self) -> bool:
        return self.term is not None

    async def run(self) -> None:
        try:
            if self.db.is_sqlite:
                self.term = await bump_term(self.db, self.instance_id)
                await self.on_gain(self.term)
                await asyncio.Event().wait()
            while True:
                try:
                    await self._step()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("leadership check failed: %s", exc)
                    await self._lose()
                await asyncio.sleep(self.check_s)
        finally:
            await self._lose()

    async def _step(self) -> None:
        if self._conn is None or self._conn.closed:
            import psycopg

            url = make_url(self.db.url).set(drivername="postgresql")
            self._conn = await psycopg.AsyncConnection.connect(
                url.render_as_string(hide_password=False),
                autocommit=True,
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                connect_timeout=5,
            )
        if self.term is None:
            cur = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
            if (await cur.fetchone())[0]:
                self.term = await bump_term(self.db, self.instance_id)
                log.info("this process now runs the timers (term %s)", self.term)
                await self.on_gain(self.term)
        else:
            cur = await self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND objid = %s AND granted",
                (LOCK_KEY,),
            )
            if (await cur.fetchone())[0] == 0:
                raise RuntimeError("advisory lock lost")

    async def _lose(self) -> None:
        if self.term is not None:
            log.warning("this process no longer runs the timers (term %s)", self.term)
            self.term = None
            with contextlib.suppress(Exception):
                await self.on_loss()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
