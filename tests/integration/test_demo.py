"""``convene demo``, the real command in a subprocess, against a running service: the
kick-off event it creates, and the tokens and WebSocket URLs it prints work."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
from websockets.asyncio.client import connect

from tests.support.client import Api

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONVENE = Path(sys.executable).with_name("convene")
GROUPS = {
    "Digital divide",
    "Digital literacy",
    "Public service design optimisation",
    "Digitalisation of municipal services",
    "City Lab collaborations",
}


async def _demo(*args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    proc = await asyncio.create_subprocess_exec(
        str(CONVENE),
        "demo",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode(), err.decode()


def _printed(out: str) -> tuple[str, str, dict[str, tuple[str, str]]]:
    """(event id, session id, {role: (token, websocket url)}) from the demo's output."""
    event_id = re.search(r"^event\s+(\S+)", out, re.M).group(1)
    session_id = re.search(r"^session\s+(\S+)", out, re.M).group(1)
    roles = {}
    for m in re.finditer(r"^(\w+): .*\n\s+token\s+(\S+)\n\s+websocket\s+(\S+)$", out, re.M):
        roles[m.group(1)] = (m.group(2), m.group(3))
    return event_id, session_id, roles


async def test_demo_creates_the_kickoff_and_prints_working_tokens(server):
    code, out, err = await _demo("--url", server.url, "--token", server.admin_token)
    assert code == 0, err
    assert server.admin_token not in out  # the operator's token is never printed
    event_id, session_id, printed = _printed(out)
    assert set(printed) == {"moderator", "interpreter", "participant", "observer"}
    for token, _ in printed.values():  # the web console's join link, per role
        assert f"console    {server.url}/join#token={token}\n" in out + "\n"

    async with Api(server.url, server.admin_token) as admin:
        event = await admin.ok("GET", f"/api/events/{event_id}")
        people = await admin.ok("GET", f"/api/events/{event_id}/people")
        sessions = await admin.ok("GET", f"/api/events/{event_id}/sessions")
    assert event["floor_language"] == "en" and event["interpretation_languages"] == ["ar", "ru"]
    assert event["timezone"] == "Europe/Berlin"

    assert 40 <= len(people) <= 50
    by_role: dict[str, list[dict]] = {}
    for p in people:
        by_role.setdefault(p["role"], []).append(p)
    assert set(by_role) == {"moderator", "interpreter", "participant", "observer"}
    assert len(by_role["moderator"]) >= 1 and len(by_role["observer"]) == 1
    for lang in ("ar", "ru"):
        booth = [p for p in by_role["interpreter"] if f"en>{lang}" in p["interprets"]]
        assert len(booth) == 2, (lang, booth)
    participants = by_role["participant"]
    for p in participants:
        ZoneInfo(p["timezone"])  # a real IANA zone
        assert p["timezone"] != "UTC" and p["country"]
        assert 1 <= len(p["groups"]) <= 2 and set(p["groups"]) <= GROUPS
    assert len({p["timezone"] for p in participants}) >= 10  # each in their own zone
    assert {p["country"] for p in participants} >= {"Georgia", "Tunisia", "Germany", "Ukraine"}
    assert {g for p in participants for g in p["groups"]} == GROUPS  # the five working groups

    (session,) = sessions
    assert session["id"] == session_id and session["title"] == "Kick-off plenary"
    assert session["timezone"] == "Europe/Berlin"
    assert (session["start"], session["end"]) == ("2021-08-31T12:00:00Z", "2021-08-31T14:00:00Z")
    assert "2021-08-31T12:00:00Z" in out

    # each printed token and WebSocket URL connects and gets the snapshot first
    ids = {p["id"] for p in people}
    for role, (token, ws_url) in printed.items():
        assert ws_url == f"{server.ws_url}/ws/sessions/{session_id}?token={token}"
        async with connect(ws_url, open_timeout=10, close_timeout=3) as ws:
            first = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "snapshot", (role, first)
        assert first["data"]["session"]["id"] == session_id
        assert first["data"]["you"]["role"] == role
        async with Api(server.url, token) as api:
            me = await api.ok("GET", f"/api/events/{event_id}")
        assert me["id"] == event_id
    # every person's join link is printed, not four, and each is that person's
    links = dict(re.findall(r"^  \w+ +.+?  (\S+/join#token=(\S+))$", out, re.M))
    assert len(links) == len(people)
    for url, token in list(links.items())[:: max(1, len(links) // 6)]:
        assert url.startswith(f"{server.url}/join#token=")
        async with Api(server.url, token) as api:
            assert (await api.ok("GET", "/api/me"))["person"]["id"] in ids
    # the printed curl command uses the moderator's token on the people list
    curl = re.search(r'curl -H "Authorization: Bearer (\S+)" (\S+)', out)
    assert curl.group(1) == printed["moderator"][0]
    async with Api(server.url, curl.group(1)) as mod:
        listed = await mod.ok("GET", curl.group(2).removeprefix(server.url))
    assert {p["id"] for p in listed} == ids


async def test_demo_with_a_wrong_token_says_so_in_one_line(server):
    code, out, err = await _demo("--url", server.url, "--token", "not-the-admin-token")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "401" in err and "Traceback" not in err
    assert "not-the-admin-token" not in err
