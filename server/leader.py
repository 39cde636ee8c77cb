"""Who runs the timers. On PostgreSQL: the holder of an advisory lock taken on one
dedicated connection outside the pool (with TCP keepalives), re-checked every 2 s;
on SQLite: the one process. Each gain bumps the fencing term in ``leader_terms``,
which every timer transaction checks, so a deposed leader changes nothing.

A leader killed outright closes its socket, so PostgreSQL frees the lock at once; a
leader whose machine vanishes without closing it is dropped by the server's own TCP
keepalives on that connection (set below, about 6 s), so a standby, trying every
2 s, takes over well within 10 s either way. A check that hangs (a dead network)
counts as lost leadership."""

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
# the server side of the lock connection: a silent peer is dropped after ~6 s
SERVER_KEEPALIVES = (
    "SET tcp_keepalives_idle = 3",
    "SET tcp_keepalives_interval = 1",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 6000",
)


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
        async with asyncio.timeout(max(5.0, 2 * self.check_s)):
            gained = await self._check()
        if gained:
            log.info("this process now runs the timers (term %s)", self.term)
            await self.on_gain(self.term)

    async def _check(self) -> bool:
        """Connect if need be, then take the lock (True: just gained) or make sure it
        is still held (``RuntimeError`` if not)."""
        if self._conn is None or self._conn.closed:
            import psycopg

            url = make_url(self.db.url).set(drivername="postgresql")
            self._conn = await psycopg.AsyncConnection.connect(
                url.render_as_string(hide_password=False),
                autocommit=True,
                # who holds (or waits for) the lock, in pg_stat_activity
                application_name=f"convene-timers {self.instance_id}"[:63],
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
                connect_timeout=5,
            )
            for statement in SERVER_KEEPALIVES:
                await self._conn.execute(statement)
        if self.term is None:
            cur = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
            if (await cur.fetchone())[0]:
                self.term = await bump_term(self.db, self.instance_id)
                return True
        else:
            cur = await self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                "AND pid = pg_backend_pid() AND objid = %s AND granted",
                (LOCK_KEY,),
            )
            if (await cur.fetchone())[0] == 0:
                raise RuntimeError("advisory lock lost")
        return False

    async def _lose(self) -> None:
        if self.term is not None:
            log.warning("this process no longer runs the timers (term %s)", self.term)
            self.term = None
            with contextlib.suppress(Exception):
                await self.on_loss()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await conn.close()
