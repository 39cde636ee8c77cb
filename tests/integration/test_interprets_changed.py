"""A moderator changes what an interpreter interprets during a live session (the
roster changed: Pavel covers Arabic too, Amal hands Arabic over): the change takes
effect at once, in the session's channels and on the interpreter's open socket,
without a reconnect. Before, the session kept the directions it had read when it
started ("you interpret en>ru") and the socket its old booths."""

from __future__ import annotations

import pytest

from tests.support.client import Api
from tests.support.interpretation_booths import Booths

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _patch(server, b: Booths, key: str, interprets: list[str]) -> dict:
    async with Api(server.url, server.admin_token) as admin:
        path = f"/api/events/{b.event['id']}/people/{b.id(key)}"
        return await admin.ok("PATCH", path, {"interprets": interprets})


def _chat(frame: dict, text: str) -> bool:
    return frame["type"] == "chat.message" and frame["data"]["text"] == text


async def test_a_direction_added_mid_session_works_at_once(server):
    b = await Booths().setup(server)
    pavel = b.ws["ru2"]
    await _patch(server, b, "ru2", ["en>ru", "en>ar"])
    told = await pavel.until(lambda f: f["type"] == "person.updated")
    assert told["data"] == {
        "person_id": b.id("ru2"),
        "role": "interpreter",
        "interprets": ["en>ru", "en>ar"],
    }
    r = await b.call("ru2", "POST", "/channels/ar/on-air")
    assert r.status_code == 200, r.text
    assert (await b.channels())["ar"]["on_air"] == b.id("ru2")
    # the same socket is in the Arabic booth now: it gets the booth's own chat
    url = f"/api/sessions/{b.sid}/messages"
    async with b.api("ar1") as amal:
        await amal.ok("POST", url, {"text": "welcome, Pavel", "to": "booth"}, 201)
    await pavel.until(lambda f: _chat(f, "welcome, Pavel"))
    await b.close()


async def test_a_direction_taken_away_takes_its_interpreter_off_air(server):
    b = await Booths().setup(server)
    assert (await b.call("ar1", "POST", "/channels/ar/on-air")).status_code == 200
    amal = b.ws["ar1"]
    await _patch(server, b, "ar1", ["en>ru"])
    await amal.until(lambda f: f["type"] == "person.updated")
    assert (await b.channels())["ar"]["on_air"] is None
    # her socket left the Arabic booth: Omar's booth message reaches him alone
    url = f"/api/sessions/{b.sid}/messages"
    async with b.api("ar2") as omar:
        await omar.ok("POST", url, {"text": "only me now", "to": "booth"}, 201)
        await omar.ok("POST", url, {"text": "to the room", "to": "room"}, 201)
    await amal.until(lambda f: _chat(f, "to the room"))
    assert not any(_chat(f, "only me now") for f in amal.frames)
    await b.close()


async def test_an_unchanged_direction_tells_nobody(server):
    b = await Booths().setup(server)
    await _patch(server, b, "ru2", ["en>ru"])  # as it was
    await _patch(server, b, "ru2", ["en>ru", "en>ar"])
    told = await b.ws["ru2"].until(lambda f: f["type"] == "person.updated")
    assert told["data"]["interprets"] == ["en>ru", "en>ar"]  # the first said nothing
    await b.close()


async def test_an_import_that_changes_directions_tells_the_session(server):
    b = await Booths().setup(server)
    rows = [{"name": "Pavel", "role": "interpreter", "interprets": ["en>ru", "en>ar"]}]
    async with Api(server.url, server.admin_token) as admin:
        path = f"/api/events/{b.event['id']}/people/import"
        result = await admin.ok("POST", path, rows)
    assert result["updated"] == 1
    await b.ws["ru2"].until(lambda f: f["type"] == "person.updated")
    assert (await b.call("ru2", "POST", "/channels/ar/on-air")).status_code == 200
    await b.close()
