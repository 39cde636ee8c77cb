"""The verify tests' client view: an event stored after a probe's snapshot but read
before the next check is applied at the next check, never dropped (CI once lost a
``presence.left`` that way and reported a phantom online participant)."""

from __future__ import annotations

from tests.support.reducer import View


class FakeWS:
    def __init__(self, frames):
        self.frames = frames


def _snapshot(seq: int) -> dict:
    room = {"id": "r", "kind": "plenary", "members_count": 2, "online_count": 2}
    data = {"you": {"person_id": "me", "room_id": "r"}, "rooms": [room], "room": room}
    return {"type": "snapshot", "seq": seq, "data": data}


def _left(seq: int, pid: str) -> dict:
    return {"type": "presence.left", "seq": seq, "data": {"person_id": pid, "room_id": "r"}}


def _marker(seq: int) -> dict:
    return {"type": "broadcast", "seq": seq, "data": {"text": f"marker {seq}"}}


def test_a_frame_past_the_checked_seq_waits_for_the_next_check():
    snap = _snapshot(10)
    ws = FakeWS([snap])
    view = View(ws, snap)
    ws.frames += [_left(11, "p2"), _marker(12)]
    assert view.catch_up(10)["rooms"][0]["online_count"] == 2  # the probe saw seq 10
    ws.frames += [_marker(13)]
    assert view.catch_up(13)["rooms"][0]["online_count"] == 1  # seq 11 is not lost
    assert view.seq == 13


def test_frames_the_snapshot_already_holds_are_not_applied_twice():
    snap = _snapshot(10)
    ws = FakeWS([snap])
    view = View(ws, snap)
    ws.frames += [_left(10, "p2"), _left(11, "p3")]
    assert view.catch_up(11)["rooms"][0]["online_count"] == 1
