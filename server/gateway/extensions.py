"""Hooks through which features (breakouts, interpretation, help) add their part of
the snapshot without the gateway knowing them: ``async (tx, session, event, caller,
data, memo) -> None``. ``memo`` is shared by the participants' snapshots of one seq
(see ``snapshot.SharedParts``): a part keeps there what does not depend on the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

SnapshotPart = Callable[..., Awaitable[None]]
SNAPSHOT: list[SnapshotPart] = []


def snapshot_part(fn: SnapshotPart) -> SnapshotPart:
    SNAPSHOT.append(fn)
    return fn


__all__: list[Any] = ["SNAPSHOT", "snapshot_part"]
