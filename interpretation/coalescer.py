"""At most one ``listeners.changed`` a second per room.

A thousand people switching channel must not become a thousand frames for each
interpreter. The coalescer holds no I/O: the server offers the room's counts
after each change and either stores the event it gets back or schedules a
flush at the ``due`` instant it is told.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from .events import ListenersChanged, listeners_changed


class Coalesced(NamedTuple):
    event: ListenersChanged | None
    due: datetime | None


Sent = Mapping[str, tuple[datetime, Mapping[str, int]]]


class ListenerCoalescer:
    def __init__(self, interval_s: float = 1.0, sent: Sent | None = None) -> None:
        """``sent``: what each room was last told, and when (the server keeps it between
        transactions; counts still pending are offered again when their flush is due)."""
        self.interval = timedelta(seconds=interval_s)
        self._sent_at: dict[str, datetime] = {}
        self._sent: dict[str, dict[str, int]] = {}
        self._pending: dict[str, dict[str, int]] = {}
        for room_id, (at, counts) in (sent or {}).items():
            self._sent_at[room_id], self._sent[room_id] = at, dict(counts)

    def sent(self) -> dict[str, tuple[datetime, dict[str, int]]]:
        """What each room was last told, and when: what a new coalescer starts from."""
        return {room_id: (self._sent_at[room_id], self._sent[room_id]) for room_id in self._sent}

    def retain(self, rooms: Container[str]) -> None:
        """Forget the rooms not in ``rooms`` (a closed round's): what they were told no
        longer matters, and what is kept is stored between transactions."""
        for room_id in [r for r in self._sent_at if r not in rooms]:
            del self._sent_at[room_id]
            self._sent.pop(room_id, None)
        for room_id in [r for r in self._pending if r not in rooms]:
            del self._pending[room_id]

    def offer(self, room_id: str, counts: Mapping[str, int], now: datetime) -> Coalesced:
        """Emit now if the room's last event is a second old, else defer to ``due``."""
        counts = dict(counts)
        if counts == self._sent.get(room_id):
            self._pending.pop(room_id, None)
            return Coalesced(None, None)
        sent_at = self._sent_at.get(room_id)
        if sent_at is None or now - sent_at >= self.interval:
            return Coalesced(self._emit(room_id, counts, now), None)
        self._pending[room_id] = counts
        return Coalesced(None, sent_at + self.interval)

    def flush(self, room_id: str, now: datetime) -> Coalesced:
        """The deferred instant came: emit the latest counts if still due."""
        counts = self._pending.get(room_id)
        if counts is None:
            return Coalesced(None, None)
        due = self._sent_at[room_id] + self.interval
        if now < due:
            return Coalesced(None, due)
        del self._pending[room_id]
        return Coalesced(self._emit(room_id, counts, now), None)

    def due(self, room_id: str) -> datetime | None:
        if room_id not in self._pending:
            return None
        return self._sent_at[room_id] + self.interval

    def _emit(self, room_id: str, counts: dict[str, int], now: datetime) -> ListenersChanged:
        self._sent_at[room_id] = now
        self._sent[room_id] = counts
        self._pending.pop(room_id, None)
        return listeners_changed(room_id, counts)
