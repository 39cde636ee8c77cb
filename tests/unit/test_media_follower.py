"""The bridge's state from an observer's frames: a snapshot, then events in order."""

from __future__ import annotations

from server.media.follower import Follower
from server.media.topology import desired


def _channel(lang, on_air=None, kind="floor", src="en", booth=()):
    return {
        "language": lang,
        "on_air": on_air,
        "source": {"kind": kind, "language": src} if kind else None,
        "listeners": 0,
        "booth": [{"person_id": b, "live": b == on_air} for b in booth],
    }


SNAPSHOT = {
    "type": "snapshot",
    "seq": 7,
    "data": {
        "event": {"id": "e", "floor_language": "en"},
        "session": {"status": "live"},
        "people": [
            {"id": "mod", "role": "moderator", "room_id": "P"},
            {"id": "a1", "role": "interpreter", "room_id": "P"},
            {"id": "a2", "role": "interpreter", "room_id": "P"},
            {"id": "obs", "role": "observer", "room_id": None},
        ],
        "channels": {
            "rooms": [
                {
                    "room_id": "P",
                    "floor_language": "en",
                    "channels": [
                        _channel("en"),
                        _channel("ar", "a1", "interpreter", "en", ("a1", "a2")),
                    ],
                }
            ]
        },
    },
}


def test_snapshot_then_handover_round_and_speaker():
    f = Follower()
    f.load(SNAPSHOT)
    plan = desired(f.media_state())
    assert plan["P/ar"].unmuted == {"a1"} and plan["P/floor"].unmuted == {"mod"}
    assert plan["P/floor"].allowed == {"mod", "a1", "a2"}

    ar = _channel("ar", "a2", "interpreter", "en", ("a1", "a2"))
    f.apply({"seq": 8, "type": "channel.updated", "data": {"room_id": "P", "channel": ar}})
    assert desired(f.media_state())["P/ar"].unmuted == {"a2"}

    # a round opens: its channels appear, a late person is moved into it
    f.apply(
        {"seq": 9, "type": "channel.updated", "data": {"room_id": "B", "channel": _channel("en")}}
    )
    f.apply(
        {
            "seq": 10,
            "type": "room.moved",
            "data": {"person_id": "new", "from_room": None, "to_room": "B"},
        }
    )
    assert f.unknown == {"new"}  # the bridge fetches who this is before placing them
    f.learn({"id": "new", "role": "participant"})
    f.apply({"seq": 11, "type": "speaker.called", "data": {"person_id": "new", "room_id": "B"}})
    plan = desired(f.media_state())
    assert plan["B/floor"].allowed == {"new"} and plan["B/floor"].unmuted == {"new"}
    assert f.seq == 11

    # the round closes: its last channel removed, the room is gone
    f.apply(
        {
            "seq": 12,
            "type": "channel.updated",
            "data": {"room_id": "B", "channel": _channel("en"), "removed": True},
        }
    )
    assert "B/floor" not in desired(f.media_state())
    f.apply({"seq": 13, "type": "session.status", "data": {"status": "ended"}})
    assert desired(f.media_state()) == {}
