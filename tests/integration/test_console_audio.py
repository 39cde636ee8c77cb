"""The console's audio in a real Chromium (fake microphone) through janus.js: a
participant's page joins the AudioBridge room its media ticket names, hears the
floor (the page's WebRTC stats count inbound audio), and follows its own move into a
breakout room with a new ticket and ``changeroom``. Real Janus, the real bridge, a
real ``convene serve``; the moderator speaking is a plain-RTP test participant."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio
from playwright.async_api import expect

from server.media import tickets
from server.media.janus import JanusSession
from tests.support import browser as chromium
from tests.support.client import Api, make_world
from tests.support.janus import BridgeProcess, JanusProcess, media_service
from tests.support.media_client import Participant

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow, pytest.mark.timeout(90)]
SECRET = "console-audio-secret"
WAIT = 20_000  # ms: a loaded 2-core machine
MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",  # grants the microphone without asking
    "--use-fake-device-for-media-stream",  # a fake microphone (a beeping tone)
    "--disable-features=WebRtcHideLocalIpsWithMdns",  # host candidates Janus can reach
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="module")
def janus(tmp_path_factory):
    try:
        j = JanusProcess(tmp_path_factory.mktemp("janus")).start()
    except (RuntimeError, FileNotFoundError) as exc:
        chromium._absent(f"Janus cannot run here: {exc}")
    yield j
    j.stop()


@pytest.fixture(scope="module")
def audio_server(tmp_path_factory, janus):
    with media_service(tmp_path_factory.mktemp("console-audio"), janus, SECRET) as srv:
        yield srv


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def media_browser():
    """Chromium with a fake microphone that may play audio."""
    from pathlib import Path
    from shutil import which

    if not (Path(chromium.CHROMIUM).exists() or which(chromium.CHROMIUM)):
        chromium._absent(f"Chromium is not installed at {chromium.CHROMIUM}")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=chromium.CHROMIUM, args=chromium.ARGS + MEDIA_ARGS
        )
        yield b
        await b.close()


async def participants(janus_url: str, room: str) -> set[str]:
    control = await JanusSession(janus_url).open()
    try:
        got = await control.request({"request": "listparticipants", "room": room})
        return {p["id"] for p in got.get("participants", [])}
    except Exception:  # the room does not exist (yet)
        return set()
    finally:
        await control.close()


async def until(what, check, within: float = 15.0):
    """Polls ``check`` (async) until it returns a true value; that value."""
    deadline = time.monotonic() + within
    last = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what}: still {last!r} after {within} s")


async def test_a_participant_page_plays_its_room_and_follows_a_move_to_a_breakout(
    media_browser, audio_server, janus, tmp_path
):
    server = audio_server
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    bridge = BridgeProcess(tmp_path, server, janus, sid, w.token("obs"), SECRET)
    mod = await Participant(server, sid, w.token("mod"), 440).start()  # the floor speaks
    page = await chromium.open_page(media_browser, server, w.token("p3"))  # Sam: English
    try:
        mine = page.get_by_role("region", name="My room", exact=True)
        await mine.get_by_role("button", name="Join audio").click()
        await expect(mine.get_by_role("status").filter(has_text="Audio on")).to_be_visible(
            timeout=WAIT
        )
        await expect(mine.get_by_role("button", name="Leave audio")).to_be_visible()

        def pid(room: str) -> str:
            return tickets.participant_id(SECRET, w.id("p3"), room, 1)

        floor = f"{plenary}/floor"
        await until("Sam in the plenary's floor", lambda: _has(janus, floor, pid(floor)))

        async def stats():
            return await page.evaluate("window.convene.audio.stats()")

        first = await until("inbound audio", lambda: _more(stats, 0))
        # the floor's 440 Hz tone arrives as sound, not only as packets
        await until("audio energy", lambda: _louder(stats, first.get("energy", 0)))

        async with Api(server.url, w.token("mod")) as api:
            rnd = await api.ok(
                "POST", f"/api/sessions/{sid}/breakouts", {"count": 2, "strategy": "manual"}, 201
            )
            await api.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
            room1 = rnd["rooms"][0]["id"]
            for key in ("mod", "p3"):
                await api.ok(
                    "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id(key), "room_id": room1}
                )
        moved = f"{room1}/floor"
        await until("Sam in room 1's floor", lambda: _has(janus, moved, pid(moved)))
        assert pid(floor) not in await participants(janus.url, floor)
        at_move = await stats()
        assert at_move["listen"] == moved, at_move
        # the same PeerConnection (changeroom, no renegotiation) carries room 1's mix
        await until("inbound audio in room 1", lambda: _more(stats, at_move["inbound"] + 25))
        await until("audio energy in room 1", lambda: _louder(stats, at_move.get("energy", 0)))
        final = await stats()
        assert final["ice"] in ("connected", "completed"), final
        print("console audio stats:", first, at_move, final)
        assert not page.errors, page.errors
    finally:
        await page.context.close()
        await mod.close()
        bridge.stop()


async def test_a_listener_page_hears_an_interpreter_page_go_on_air(
    media_browser, audio_server, janus, tmp_path
):
    """Microphone to ear through two browsers: Amal's page sends her fake microphone
    into the Arabic channel; Sam switches "Listen in" to Arabic (listening.changed, a
    new ticket, ``changeroom``) and hears her once she goes on air."""
    server = audio_server
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    bridge = BridgeProcess(tmp_path, server, janus, sid, w.token("obs"), SECRET)
    amal = await chromium.open_page(media_browser, server, w.token("ar1"))
    sam = await chromium.open_page(media_browser, server, w.token("p3"))
    try:
        for page in (amal, sam):
            mine = page.get_by_role("region", name="My room", exact=True)
            await mine.get_by_role("button", name="Join audio").click(timeout=WAIT)
            await expect(mine.get_by_role("status").filter(has_text="Audio on")).to_be_visible(
                timeout=WAIT
            )
        channel = f"{plenary}/ar"
        amal_id = tickets.participant_id(SECRET, w.id("ar1"), channel, 1)
        await until("Amal speaking into the Arabic channel", lambda: _has(janus, channel, amal_id))
        sam_mine = sam.get_by_role("region", name="My room", exact=True)
        await sam_mine.get_by_role("combobox", name="Listen in").select_option("ar")
        sam_id = tickets.participant_id(SECRET, w.id("p3"), channel, 1)
        await until("Sam listening to the Arabic channel", lambda: _has(janus, channel, sam_id))

        async def stats():
            return await sam.evaluate("window.convene.audio.stats()")

        off_air = await until("inbound audio", lambda: _more(stats, 0))
        assert off_air["listen"] == channel, off_air
        # a second of the channel (50 packets of 20 ms) while nobody is live: silence
        quiet = await until(
            "a second of the channel", lambda: _more(stats, off_air["inbound"] + 50)
        )
        assert quiet.get("energy", 0) - off_air.get("energy", 0) < 0.01, (off_air, quiet)
        booth = amal.get_by_role("region", name="Booth", exact=True)
        await booth.get_by_role("combobox", name="Channel").select_option("ar")
        await booth.get_by_role("button", name="Go on air").click()
        await expect(amal.get_by_role("status").filter(has_text="On air")).to_be_visible(
            timeout=WAIT
        )
        # the bridge unmutes Amal: her fake microphone sounds at Sam's ear
        await until("Amal's voice at Sam's ear", lambda: _louder(stats, quiet.get("energy", 0)))
        assert not amal.errors and not sam.errors, (amal.errors, sam.errors)
    finally:
        await amal.context.close()
        await sam.context.close()
        bridge.stop()


async def test_a_page_rejoins_with_a_fresh_ticket_after_janus_restarts(
    media_browser, audio_server, janus, tmp_path
):
    await _rejoins_after_restart(media_browser, audio_server, janus, tmp_path, slow=False)


async def test_a_page_rejoins_when_janus_is_still_down_at_its_first_retry(
    media_browser, audio_server, janus, tmp_path
):
    """The page retries a second after it lost Janus; on a loaded machine Janus may take
    longer than that to come back, and the page must keep trying."""
    await _rejoins_after_restart(media_browser, audio_server, janus, tmp_path, slow=True)


async def _rejoins_after_restart(media_browser, audio_server, janus, tmp_path, *, slow: bool):
    server = audio_server
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    bridge = BridgeProcess(tmp_path, server, janus, sid, w.token("obs"), SECRET)
    page = await chromium.open_page(media_browser, server, w.token("p3"))
    retried = asyncio.Event()

    async def watched(route):
        if '"create"' in (route.request.post_data or ""):  # a new Janus session
            retried.set()
        await route.continue_()  # refused while Janus is down

    try:
        mine = page.get_by_role("region", name="My room", exact=True)
        await mine.get_by_role("button", name="Join audio").click()
        floor = f"{plenary}/floor"
        sam = tickets.participant_id(SECRET, w.id("p3"), floor, 1)
        await until("Sam in the floor", lambda: _has(janus, floor, sam))
        if slow:
            await page.context.route(f"{janus.url}**", watched)
        janus.kill()
        if slow:
            await asyncio.wait_for(retried.wait(), 10)  # the page tried while Janus was down
        janus.start()  # every room and session is gone; the bridge recreates the rooms
        restarted = time.monotonic()
        await until("Sam back in the floor", lambda: _has(janus, floor, sam), within=20)
        print(f"rejoined {time.monotonic() - restarted:.1f} s after Janus restarted")

        async def stats():
            return await page.evaluate("window.convene.audio.stats()")

        await until("inbound audio again", lambda: _more(stats, 25))  # a new PeerConnection
        await expect(mine.get_by_role("status").filter(has_text="Audio on")).to_be_visible()
        assert not page.errors, page.errors
    finally:
        await page.context.close()
        bridge.stop()


async def test_a_page_rejoins_when_janus_dies_while_it_waits_to_join(
    media_browser, audio_server, janus, tmp_path
):
    """Janus acknowledges the page's ``join`` and dies before the page hears it has
    joined (that answer travels on a long-poll, held here until Janus is gone). The
    page starts over, and the join it was waiting for must not hold the new attempt
    back."""
    server = audio_server
    w = await make_world(server)
    sid, plenary = w.session["id"], w.session["plenary_room_id"]
    bridge = BridgeProcess(tmp_path, server, janus, sid, w.token("obs"), SECRET)
    page = await chromium.open_page(media_browser, server, w.token("p3"))
    asked, released = asyncio.Event(), asyncio.Event()

    async def routed(route):
        if route.request.method == "GET" and not released.is_set():
            await released.wait()  # janus.js's long-polls, where "joined" would come
        elif '"request":"join"' in (route.request.post_data or "").replace(" ", ""):
            await route.fulfill(response=await route.fetch())  # Janus acknowledges it
            asked.set()
            return
        await route.continue_()

    await page.context.route(f"{janus.url}**", routed)
    try:
        mine = page.get_by_role("region", name="My room", exact=True)
        await mine.get_by_role("button", name="Join audio").click()
        await asyncio.wait_for(asked.wait(), 20)
        janus.kill()
        released.set()  # the held polls now fail: the page has lost Janus
        janus.start()
        restarted = time.monotonic()
        floor = f"{plenary}/floor"
        sam = tickets.participant_id(SECRET, w.id("p3"), floor, 1)
        await until("Sam in the floor", lambda: _has(janus, floor, sam), within=20)
        print(f"joined {time.monotonic() - restarted:.1f} s after Janus restarted")
        await expect(mine.get_by_role("status").filter(has_text="Audio on")).to_be_visible(
            timeout=WAIT
        )
        assert not page.errors, page.errors
    finally:
        await page.context.close()
        bridge.stop()


async def _has(janus, room: str, pid: str) -> bool:
    return pid in await participants(janus.url, room)


async def _more(stats, than: int):
    s = await stats()
    return s if s["inbound"] > than else None


async def _louder(stats, than: float):
    s = await stats()
    return s if s.get("energy", 0) > than + 0.01 else None


async def test_the_console_may_connect_to_the_configured_janus(audio_server, janus):
    import httpx

    async with httpx.AsyncClient() as http:
        r = await http.get(f"{audio_server.url}/join")
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["connect-src"] == f"'self' http://127.0.0.1:{janus.port}"
    assert csp["script-src"] == "'self'"
