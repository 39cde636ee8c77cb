"""Broadcasts with the speaker queue and chat running beside them.

N participants (default 1,000) connect to one live session of a real Convene
server (a subprocess on SQLite). 50 of them raise a hand. Broadcasts are timed
from the REST call until every client has the message, first on a quiet
session, then while a room chat message goes out every second (from a different
participant each time: the rate limit is per person) and a hand is lowered and
raised again every two seconds. Each of those reaches every client: one
encoding per audience variant, as a broadcast. Target (issue 17): the broadcast
p50 with the chatter within 1.2x of without. Results go to docs/performance.md
(section "Queue and chat beside broadcasts").

Run: ``python -m bench.chatter [--clients 1000] [--broadcasts 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import statistics
import sys
from urllib.parse import parse_qs, urlsplit

import httpx

from bench.clients import ROOT, Fleet, machine, pct, raise_fd_limit, write_section
from bench.fanout import Convene

sys.path.insert(0, str(ROOT))

HANDS = 50
SETTLE_S = 1.5


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def _broadcasts(fleet: Fleet, target: Convene, k: int, tag: str) -> list[float]:
    times = []
    for i in range(k):
        needle = f"{tag} {i} {secrets.token_hex(4)}".encode()
        times.append(
            await fleet.measure(
                lambda c, p, needle=needle: needle in p,
                lambda needle=needle: target.broadcast(needle.decode()),
            )
        )
    return times


async def _chatter(srv_url: str, sid: str, tokens: list[str], hands: list[tuple[str, str]]):
    """A room message a second, a hand lowered and raised again every two seconds."""
    base = f"/api/sessions/{sid}"
    async with httpx.AsyncClient(base_url=srv_url, timeout=60) as http:
        for i in range(10**9):
            who = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            r = await http.post(
                f"{base}/messages", json={"text": f"q {i}", "to": "room"}, headers=who
            )
            assert r.status_code == 201, r.text
            if i % 2 == 0:
                token, hand_id = hands[(i // 2) % len(hands)]
                who = {"Authorization": f"Bearer {token}"}
                r = await http.delete(f"{base}/hands/{hand_id}", headers=who)
                assert r.status_code == 204, r.text
                r = await http.post(f"{base}/hands", json={}, headers=who)
                assert r.status_code == 201, r.text
                hands[(i // 2) % len(hands)] = (token, r.json()["id"])
            await asyncio.sleep(1.0)


async def main(n: int, k: int) -> dict:
    raise_fd_limit(n)
    target = await Convene.create(n)
    fleet = Fleet()
    try:
        await fleet.connect(target.urls, first_message=True)
        tokens = [_token(url) for url, _ in target.urls]
        async with httpx.AsyncClient(base_url=target.srv.url, timeout=60) as http:
            hands = []
            for token in tokens[:HANDS]:
                r = await http.post(
                    f"/api/sessions/{target.sid}/hands",
                    json={},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert r.status_code == 201, r.text
                hands.append((token, r.json()["id"]))
        await asyncio.sleep(SETTLE_S)
        quiet = await _broadcasts(fleet, target, k, "quiet")
        chatter = asyncio.create_task(
            _chatter(target.srv.url, target.sid, tokens[HANDS:] or tokens, hands)
        )
        try:
            await asyncio.sleep(SETTLE_S)
            busy = await _broadcasts(fleet, target, k, "busy")
        finally:
            chatter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await chatter
    finally:
        fleet.close()
        await target.stop()
    return {
        "clients": n,
        "broadcasts": k,
        "quiet_p50": statistics.median(quiet),
        "quiet_p99": pct(quiet, 0.99),
        "busy_p50": statistics.median(busy),
        "busy_p99": pct(busy, 0.99),
    }


def report(r: dict) -> str:
    ratio = r["busy_p50"] / r["quiet_p50"]
    return (
        "## Queue and chat beside broadcasts (bench/chatter.py)\n\n"
        f"{machine()}; SQLite, one server process, clients in another.\n\n"
        f"{r['clients']} participants, {HANDS} hands up, {r['broadcasts']} broadcasts "
        "each way.\n\n"
        "| broadcasts | p50 (ms) | p99 (ms) |\n|---|---|---|\n"
        f"| quiet | {r['quiet_p50'] * 1000:.0f} | {r['quiet_p99'] * 1000:.0f} |\n"
        f"| a chat message a second, a hand every 2 s | {r['busy_p50'] * 1000:.0f} | "
        f"{r['busy_p99'] * 1000:.0f} |\n\n"
        f"With / without (p50): **{ratio:.2f}x** (target: at most 1.2x).\n"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--broadcasts", type=int, default=20)
    ap.add_argument("--no-write", action="store_true", help="print, do not touch the docs")
    args = ap.parse_args()
    section = report(asyncio.run(main(args.clients, args.broadcasts)))
    print(section)
    if not args.no_write:
        write_section("## Queue and chat beside broadcasts", section)
