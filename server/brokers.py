"""The broker a deployment names: Redis when a URL is set, else the in-process one.

Apart from ``broker`` so that the Redis backend, which implements that interface,
is loaded only when it is used and without importing its own importer.
"""

from __future__ import annotations

from .broker import Broker, MemoryBroker


def make_broker(redis_url: str | None, prefix: str) -> Broker:
    if not redis_url:
        return MemoryBroker()
    from .redis_broker import RedisBroker

    return RedisBroker(redis_url, prefix)
