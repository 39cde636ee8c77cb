"""Audio at the listener's ear: a real Janus, the real bridge process, a real Convene
service, and plain-RTP participants that send sine tones (floor 440 Hz, Arabic
interpreters 660 and 880 Hz, a second room's speaker 550 Hz) and find the dominant
frequencies of what they hear (numpy FFT over 100 ms windows).

Windows are judged once audio has settled: a tone "is heard" in a 100 ms window
above amplitude 0.03 (tones are sent at 0.3)."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.media.janus import JanusError, JanusSession
from tests.support.client import Api, make_world
from tests.support.janus import BridgeProcess, JanusProcess, media_service
from tests.support.media_client import Participant
from tests.support.rtp_audio import switch_gap_s, windows

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(120)]
SECRET = "media-test-secret"
TONES = [440.0, 550.0, 660.0, 880.0]


@pytest.fixture(scope="module")
def janus(tmp_path_factory):
    j = JanusProcess(tmp_path_factory.mktemp("janus")).start()
    yield j
    j.stop()


@pytest.fixture(scope="module")
def media_server(tmp_path_factory, janus):
    with media_service(tmp_path_factory.mktemp("media-server"), janus, SECRET) as srv:
        yield srv


@pytest.fixture
async def scene(media_server, janus, tmp_path):
    """A live session, its bridge, and whoever the test starts (closed at the end)."""
    w = await make_world(media_server)
    bridge = BridgeProcess(tmp_path, media_server, janus, w.session["id"], w.token("obs"), SECRET)
    people: list[Participant] = []

    async def join(key: str, tone: float | None = None) -> Participant:
        p = await Participant(media_server, w.session["id"], w.token(key), tone).start()
        people.append(p)
        return p

    try:
        yield w, join, bridge
    finally:
        slow = []
        for p in people:
            try:
                await asyncio.wait_for(p.close(), 10)
            except TimeoutError:
                slow.append(p.token[:6])
        bridge.stop()
        assert not slow, f"participants that did not close: {slow}"
        for p in people:
            assert not p.errors, (p.errors, bridge.log()[-2000:])


async def hears(
    p: Participant, freq: float, *, without: float | None = None, within=10.0, since=0.0
):
    """Wait until ``p`` heard ``freq`` (and not ``without``) in each of the last three
    100 ms windows of audio that arrived after ``since``; the instant it did."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        now = time.monotonic()
        w = windows(p.heard, max(now - 0.35, since), now, TONES)
        if len(w.levels) >= 3 and all(w.heard(freq)[-3:]):
            if without is None or not any(w.heard(without)[-3:]):
                return now
        await asyncio.sleep(0.1)
    now = time.monotonic()
    got = windows(p.heard, now - 1, now, TONES)
    levels = [{k: round(v, 3) for k, v in lv.items()} for lv in got.levels]
    raise AssertionError(
        f"did not hear {freq} Hz in the last second: {levels}; ticket {p.ticket}; "
        f"joined {p.listen and p.listen.room}"
    )


async def call(api: Api, method: str, path: str, body=None):
    r = await api.call(method, path, body)
    assert r.status_code in (200, 201), (method, path, r.status_code, r.text)
    return r.json()


async def arabic_on_air(url: str, w) -> None:
    """Amal (ar1) takes the Arabic channel of the session."""
    async with Api(url, w.token("ar1")) as a:
        await call(a, "POST", f"/api/sessions/{w.session['id']}/channels/ar/on-air")


async def arabic_booths_heard(scene, url: str) -> Participant:
    """Amal (ar1, 660 Hz) on air in Arabic, Omar (ar2, 880 Hz) off air: the Arabic
    listener Rami (p2), returned, hears Amal alone."""
    w, join, _ = scene
    await join("ar1", 660)
    await join("ar2", 880)
    listener = await join("p2")
    await arabic_on_air(url, w)
    await hears(listener, 660, without=880)
    return listener


async def test_an_arabic_listener_hears_the_booth_not_the_floor_and_cannot_unmute(scene, janus):
    w, join, bridge = scene
    await join("mod", 440)  # the floor
    ar1 = await join("ar1", 660)
    listener = await join("p2")  # Rami: Arabic
    english = await join("p3")
    await arabic_on_air(english.server.url, w)
    assert ar1.ticket
    start = await hears(listener, 660, without=440)
    await hears(english, 440, without=660)
    await asyncio.sleep(0)  # measure a full second from here
    end = start + 1.0
    while time.monotonic() < end:
        await asyncio.sleep(0.1)
    got = windows(listener.heard, start, end, TONES)
    assert got.share(660) >= 0.9 and got.share(440) == 0, got.levels

    # a listener may unmute themselves in a channel room (AudioBridge allows
    # "configure"): the bridge mutes them again within a second
    room = listener.ticket["listen"]["room"]
    me = listener.ticket["listen"]["id"]
    await listener.listen.session.send({"request": "configure", "muted": False})
    unmuted_at = time.monotonic()
    control = await JanusSession(janus.url).open()
    try:
        seen_unmuted = False
        while time.monotonic() - unmuted_at < 1.0:
            parts = await control.request({"request": "listparticipants", "room": room})
            mine = next(p for p in parts["participants"] if p["id"] == me)
            if not mine["muted"]:
                seen_unmuted = True
            elif seen_unmuted or time.monotonic() - unmuted_at > 0.05:
                break
            await asyncio.sleep(0.02)
        assert mine["muted"], "still unmuted a second later"
    finally:
        await control.close()


async def test_a_handover_switches_voices_without_silence(scene, media_server):
    w, join, bridge = scene
    sid, url = w.session["id"], media_server.url
    listener = await arabic_booths_heard(scene, url)
    async with Api(url, w.token("ar1")) as a:
        await call(a, "POST", f"/api/sessions/{sid}/channels/ar/handover", {"to": w.id("ar2")})
    before = time.monotonic()
    async with Api(url, w.token("ar2")) as b:
        await call(b, "POST", f"/api/sessions/{sid}/channels/ar/handover/accept")
    switched = await hears(listener, 880, without=660)
    after = switched + 0.5
    while time.monotonic() < after:
        await asyncio.sleep(0.1)
    span = windows(listener.heard, before - 0.5, after, TONES)
    both = [a and b for a, b in zip(span.heard(660), span.heard(880), strict=True)]
    longest_both = max(
        (len(run) for run in "".join("x" if b else " " for b in both).split()), default=0
    )
    assert longest_both <= 2, span.levels  # the overlap is bounded: at most 200 ms
    assert switch_gap_s(listener.heard, 660, 880) <= 0.2  # no silence over 200 ms
    assert "convene_media_bridge_switch_seconds_count" in bridge.metrics()


async def test_breakout_rooms_hear_their_own_floor_only(scene, media_server):
    w, join, _ = scene
    sid, url = w.session["id"], media_server.url
    async with Api(url, media_server.admin_token) as admin:
        mod2 = await call(
            admin,
            "POST",
            f"/api/events/{w.event['id']}/people",
            {"name": "Second moderator", "role": "moderator"},
        )
    w.people["mod2"] = mod2
    await join("mod", 440)
    await join("mod2", 550)
    one, two = await join("p1"), await join("p3")
    async with Api(url, w.token("mod")) as mod:
        rnd = await mod.ok(
            "POST", f"/api/sessions/{sid}/breakouts", {"count": 2, "strategy": "manual"}, 201
        )
        await call(mod, "POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        room1, room2 = (r["id"] for r in rnd["rooms"])
        for key, room in (("mod", room1), ("p1", room1), ("mod2", room2), ("p3", room2)):
            await call(
                mod, "POST", f"/api/sessions/{sid}/moves", {"person_id": w.id(key), "room_id": room}
            )
    await hears(one, 440, without=550)
    await hears(two, 550, without=440)
    rooms = {"plenary": w.session["plenary_room_id"], "room1": room1, "room2": room2}
    assert one.ticket["room_id"] == room1 and two.ticket["room_id"] == room2, (
        rooms,
        one.ticket["room_id"],
        two.ticket["room_id"],
    )


async def test_after_the_floor_switches_to_arabic_english_hears_the_retour(scene, media_server):
    w, join, _ = scene
    sid, url = w.session["id"], media_server.url
    await join("mod", 440)
    await join("ar1", 660)
    english = await join("p3")
    await arabic_on_air(url, w)
    await hears(english, 440, without=660)
    async with Api(url, w.token("mod")) as mod:
        await call(mod, "PUT", f"/api/sessions/{sid}/floor", {"language": "ar"})
    await hears(english, 660, without=440)  # the Arabic booth's retour into English
    assert english.ticket["listen"]["room"].endswith("/en")


async def test_after_janus_restarts_clients_rejoin_and_audio_returns(scene, janus, media_server):
    w, join, bridge = scene
    url = media_server.url
    await join("mod", 440)
    await join("ar1", 660)
    listener, english = await join("p2"), await join("p3")
    await arabic_on_air(url, w)
    await hears(listener, 660, without=440)
    janus.kill()
    killed = time.monotonic()  # what arrives from here on comes from the new Janus
    janus.start()
    await hears(listener, 660, without=440, within=10, since=killed)
    await hears(english, 440, without=660, within=10 - (time.monotonic() - killed), since=killed)
    # nobody is in a room they do not belong in: every participant is someone's ticket
    control = await JanusSession(janus.url).open()
    try:
        expected = {}
        for p in (listener, english):
            for j in (p.ticket["listen"], *p.ticket["speak"]):
                expected.setdefault(j["room"], set()).add(j["id"])
        for room, ids in expected.items():
            parts = await control.request({"request": "listparticipants", "room": room})
            present = {x["id"] for x in parts["participants"]}
            assert ids <= present
            assert all(x.startswith("p") for x in present)
    finally:
        await control.close()
    assert "convene_media_bridge_rooms_created_total" in bridge.metrics()


async def test_a_restarted_bridge_resyncs_and_applies_what_it_missed(
    scene, media_server, janus, tmp_path
):
    w, join, bridge = scene
    sid, url = w.session["id"], media_server.url
    listener = await arabic_booths_heard(scene, url)
    bridge.proc.kill()
    bridge.stop()
    async with Api(url, w.token("ar1")) as a, Api(url, w.token("ar2")) as b:
        await call(a, "POST", f"/api/sessions/{sid}/channels/ar/handover", {"to": w.id("ar2")})
        await call(b, "POST", f"/api/sessions/{sid}/channels/ar/handover/accept")
    again = BridgeProcess(tmp_path, media_server, janus, sid, w.token("obs"), SECRET)
    try:
        await hears(listener, 880, without=660)  # from its snapshot, in rooms it adopted
        assert "convene_media_bridge_rooms_created_total 0.0" in again.metrics()
    finally:
        again.stop()


async def test_the_bridge_follows_across_a_convene_restart_with_resume_from(scene, media_server):
    w, join, bridge = scene
    sid, url = w.session["id"], media_server.url
    listener = await arabic_booths_heard(scene, url)
    media_server.kill()  # the process serving the bridge's socket dies
    media_server.start()
    async with Api(url, w.token("ar1")) as a, Api(url, w.token("ar2")) as b:
        await call(a, "POST", f"/api/sessions/{sid}/channels/ar/handover", {"to": w.id("ar2")})
        await call(b, "POST", f"/api/sessions/{sid}/channels/ar/handover/accept")
    await hears(listener, 880, without=660)
    metrics = bridge.metrics()
    assert 'convene_media_bridge_resumes_total{how="resume"}' in metrics
    assert 'resumes_total{how="snapshot"}' not in metrics  # replayed from its seq


def _has_ice_address() -> bool:
    """aiortc (aioice) gathers no loopback candidates: ICE needs another address."""
    import ifaddr

    return any(
        isinstance(ip.ip, str) and not ip.ip.startswith("127.")
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
    )


async def test_a_webrtc_client_joins_with_its_ticket_and_hears_its_channel(scene, media_server):
    """A browser's path, with aiortc: ICE, DTLS-SRTP and Opus into the room its ticket
    names; it hears the live Arabic interpreter."""
    aiortc = pytest.importorskip("aiortc")
    if not _has_ice_address():
        pytest.skip("this host has only loopback addresses, where aiortc gathers no ICE candidate")
    import numpy as np
    from aiortc.mediastreams import AudioStreamTrack

    from tests.support.client import ws_connect
    from tests.support.rtp_audio import tone_levels

    w, join, _ = scene
    sid, url = w.session["id"], media_server.url
    await join("ar1", 660)
    await arabic_on_air(url, w)
    ws = await ws_connect(media_server, sid, w.token("p2"))
    await ws.next()
    async with Api(url, w.token("p2")) as p2:
        for _ in range(50):
            r = await p2.call("GET", f"/api/sessions/{sid}/media")
            if r.status_code == 200:
                break
            await asyncio.sleep(0.1)
    ticket = r.json()
    listen = ticket["listen"]
    session = await JanusSession(ticket["janus_url"]).open(poll=True)
    pc = aiortc.RTCPeerConnection()
    samples: list = []

    async def record(track):
        while True:
            frame = await track.recv()
            pcm = frame.to_ndarray().astype(np.float32).reshape(-1, len(frame.layout.channels))
            samples.append((time.monotonic(), pcm.mean(axis=1) / 32768.0, frame.sample_rate))

    tasks = []
    pc.on("track", lambda track: tasks.append(asyncio.create_task(record(track))))
    try:
        for _ in range(50):  # the bridge allows the token right after placing Rami
            try:
                await session.send({"request": "join", **listen, "muted": True})
                await session.wait_event({"joined"}, 5)
                break
            except JanusError:
                await asyncio.sleep(0.1)
        pc.addTrack(AudioStreamTrack())  # a silent microphone
        await pc.setLocalDescription(await pc.createOffer())
        await session.send(
            {"request": "configure", "muted": True},
            jsep={"type": "offer", "sdp": pc.localDescription.sdp},
        )
        answer = await session.wait_event({"event"}, 10)
        while "jsep" not in answer:
            answer = await session.wait_event({"event"}, 10)
        await pc.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=answer["jsep"]["sdp"], type="answer")
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            recent = [s for s in samples if s[0] > time.monotonic() - 0.5]
            if len(recent) >= 20:
                assert recent[0][2] == 48_000  # Opus decodes at 48 kHz
                window = np.concatenate([s[1] for s in recent])[-4800:]  # 100 ms
                if tone_levels(window, [660.0])[660.0] > 0.03:
                    break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"no 660 Hz over WebRTC (ICE {pc.iceConnectionState})")
    finally:
        for t in tasks:
            t.cancel()
        await pc.close()
        await session.close()
        await ws.close()
