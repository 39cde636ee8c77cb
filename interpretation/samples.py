"""Listener samples: how many people heard each channel over time, for the report."""

from __future__ import annotations

from .state import ListenerSample


def add_samples(
    existing: tuple[ListenerSample, ...], new: list[ListenerSample]
) -> tuple[ListenerSample, ...]:
    """Append, keeping one sample per channel per second (the last), so a thousand
    people switching in a burst leave a few points, not a thousand. The samples of
    the latest second are kept by channel (re-inserting moves one to the end), so a
    round opening a hundred rooms costs one step per sample, not one per pair."""
    head = list(existing)
    second = head[-1].at.replace(microsecond=0) if head else None
    start = len(head)
    while start > 0 and head[start - 1].at.replace(microsecond=0) == second:
        start -= 1
    tail = {(s.room_id, s.language): s for s in head[start:]}
    del head[start:]
    for sample in new:
        at = sample.at.replace(microsecond=0)
        if at != second:
            head.extend(tail.values())
            tail, second = {}, at
        key = (sample.room_id, sample.language)
        tail.pop(key, None)
        tail[key] = sample
    head.extend(tail.values())
    return tuple(head)
