"""The sockets' token cache forgets: after its TTL, on a re-issue, past its size."""

from __future__ import annotations

from types import SimpleNamespace

from server.gateway.tokens import TokenCache


def _person(i: int, token: str | None = None):
    return SimpleNamespace(
        id=f"p{i}",
        event_id="e",
        role="participant",
        interprets=[],
        language=None,
        token_hash=token or f"h{i}",
    )


def test_an_entry_ends_after_the_ttl():
    now = [0.0]
    cache = TokenCache(ttl_s=15.0, clock=lambda: now[0])
    cache.keep(_person(1))
    now[0] = 14.9
    assert cache.person("h1").id == "p1"
    now[0] = 15.0
    assert cache.person("h1") is None


def test_forgetting_a_person_drops_their_token_and_a_new_one_replaces_it():
    cache = TokenCache()
    cache.keep(_person(1))
    cache.forget("p1")
    assert cache.person("h1") is None
    cache.keep(_person(1))
    cache.keep(_person(1, token="new"))
    assert cache.person("h1") is None and cache.person("new").id == "p1"


def test_the_cache_holds_at_most_max_people_oldest_out_first():
    cache = TokenCache(max_people=3)
    for i in range(5):
        cache.keep(_person(i))
    assert [cache.person(f"h{i}") is not None for i in range(5)] == [False, False, True, True, True]
