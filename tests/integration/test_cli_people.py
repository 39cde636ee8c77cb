"""``convene people import`` and ``convene people links``, the real commands in a
subprocess against a running service: a spreadsheet in, everyone's links out, and
the re-issue reaches live sockets (it goes through the HTTP API)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from pathlib import Path

import pytest

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONVENE = Path(sys.executable).with_name("convene")


async def _convene(server, *args: str) -> tuple[int, bytes, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    env["CONVENE_ADMIN_TOKEN"] = server.admin_token
    proc = await asyncio.create_subprocess_exec(
        str(CONVENE),
        "people",
        *args,
        "--url",
        server.url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out, err.decode()


def _rows(out: bytes) -> list[dict]:
    assert out.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"))))


async def test_spreadsheet_in_links_out(server, tmp_path):
    w = await make_world(server, status="live")
    eid, sid = w.event["id"], w.session["id"]
    sheet = tmp_path / "registrants.csv"
    sheet.write_bytes(
        "\ufeffname;email;country\r\nLeyla Aliyeva;leyla@example.org;Azerbaijan\r\n"
        "Тарас Шевчук;taras@example.org;Ukraine\r\n".encode()
    )
    code, out, err = await _convene(server, "import", str(sheet), "--event", eid)
    assert code == 0, err
    assert "created 2, updated 0, unchanged 0" in err
    created = _rows(out)
    assert [r["name"] for r in created] == ["Leyla Aliyeva", "Тарас Шевчук"]
    async with Api(server.url, created[0]["join_url"].split("#token=")[1]) as leyla:
        assert (await leyla.ok("GET", "/api/me"))["person"]["name"] == "Leyla Aliyeva"

    code, out, err = await _convene(server, "import", str(sheet), "--event", eid)
    assert code == 0 and "created 0, updated 0, unchanged 2" in err and out == b""

    bad = tmp_path / "bad.csv"
    bad.write_text("name,timezone\nOk,UTC\nNope,Mars/Olympus\n")
    code, out, err = await _convene(server, "import", str(bad), "--event", eid)
    assert code == 1 and "line 3, timezone 'Mars/Olympus'" in err and "Traceback" not in err

    ws = await ws_connect(server, sid, w.token("p1"))
    await ws.next()
    code, out, err = await _convene(server, "links", "--event", eid, "--role", "participant")
    assert code == 0, err
    links = {r["name"]: r for r in _rows(out)}
    assert set(links) == {
        "Nino Beridze",
        "Rami Aziz",
        "Jonas Weber",
        "Leyla Aliyeva",
        "Тарас Шевчук",
    }
    assert await ws.closed_with() == 4401  # the live socket of the old link ends
    async with Api(server.url, links["Nino Beridze"]["token"]) as p1:
        assert (await p1.ok("GET", "/api/me"))["person"]["id"] == w.id("p1")
