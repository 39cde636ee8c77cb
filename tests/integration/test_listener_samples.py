"""The interpretation report's listener samples live in their own rows, not in the
session's interpretation state (issue 19): that state is read and written whole by
every command interpretation follows, and samples (one a second per channel that
changed) grew it without bound, to megabytes over a long session. The report still
shows each channel's listeners over time."""

from __future__ import annotations

import json

import pytest

from tests.support.db import query
from tests.support.interpretation_booths import Booths

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _state(server, sid: str) -> dict:
    (raw,) = query(server, "SELECT state FROM interpretation_states WHERE session_id = {p}", sid)[0]
    return raw if isinstance(raw, dict) else json.loads(raw)


async def test_listener_changes_do_not_grow_the_state_and_the_report_keeps_them(server):
    b = await Booths().setup(server)
    for lang in ("ar", "ru", "en", "ar"):
        r = await b.call("p_en", "PUT", "/listening", {"language": lang})
        assert r.status_code == 200, r.text
    assert _state(server, b.sid)["samples"] == []
    stored = query(server, "SELECT count(*) FROM listener_samples WHERE session_id = {p}", b.sid)
    assert stored[0][0] > 0

    report = (await b.call("mod", "GET", "/interpretation/report")).json()
    series = {(x["room_id"], x["language"]): x["samples"] for x in report["listeners"]}
    ar = series[(b.plenary, "ar")]
    assert ar[-1]["listeners"] == 2  # Rami and now Jonas hear Arabic
    assert all(s["at"].endswith("Z") for s in ar)
    await b.close()


def _sent_rooms(server, sid: str) -> set[str]:
    (raw,) = query(
        server, "SELECT listeners_sent FROM interpretation_states WHERE session_id = {p}", sid
    )[0]
    return set(raw if isinstance(raw, dict) else json.loads(raw))


async def test_closed_rooms_leave_the_listener_counts_kept_between_commands(server):
    """What each room was last told of its listeners is kept in the state row that
    every command interpretation follows reads and writes whole: rooms of a closed
    round must leave it, or it grows by a round's rooms with every round (1,200 rooms
    after twelve rounds of 100, re-parsed by every command)."""
    b = await Booths().setup(server)
    async with b.api("mod") as mod:
        for _ in range(2):
            body = {
                "rooms": [{"name": "Digital divide", "languages": ["ar"]}, {"name": "Other"}],
                "strategy": "by_language",
                "countdown_s": 0,
            }
            rnd = await mod.ok("POST", f"/api/sessions/{b.sid}/breakouts", body, 201)
            path = f"/api/sessions/{b.sid}/breakouts/{rnd['id']}"
            await mod.ok("POST", f"{path}/open")
            opened = {r["id"] for r in rnd["rooms"]}
            assert _sent_rooms(server, b.sid) & opened  # counts went to the open rooms
            await mod.ok("POST", f"{path}/close")
            await b.ws["p_en"].until(lambda f: f["type"] == "breakout.closed")
            assert _sent_rooms(server, b.sid) <= {b.plenary}
    await b.close()
