"""From Convene's state to the media topology it implies: pure, standard library only.

Each Convene room R gets one AudioBridge room for its floor (``R/floor``) and one per
channel language (``R/<language>``). The floor room mixes the people in R: everyone
hears it, only moderators and the latest called speaker are unmuted. A channel room
carries one voice, its live interpreter's; everyone else there is muted. Who may join
any of R's AudioBridge rooms is exactly who is in R. A person's client joins one room
to listen and one or more to speak; the server's ticket and the bridge both compute it
here, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

FLOOR = "floor"


def floor_room(room_id: str) -> str:
    return f"{room_id}/{FLOOR}"


def channel_room(room_id: str, language: str) -> str:
    return f"{room_id}/{language}"


@dataclass(frozen=True)
class Person:
    id: str
    role: str
    room_id: str | None
    listening: str | None = None  # only the person's own ticket knows it


@dataclass(frozen=True)
class Channel:
    language: str
    on_air: str | None
    source_kind: str | None  # "floor" | "interpreter" | "relay" | None (uncovered)
    source_language: str | None
    booth: tuple[str, ...] = ()


@dataclass(frozen=True)
class Room:
    id: str
    floor_language: str
    channels: Mapping[str, Channel]


@dataclass(frozen=True)
class MediaState:
    rooms: Mapping[str, Room]
    people: Mapping[str, Person]
    default_language: str  # the event's floor language: heard when a choice has no channel
    speakers: Mapping[str, str] = field(default_factory=dict)  # room id -> latest called


@dataclass(frozen=True)
class AudioRoom:
    """One AudioBridge room as it should be."""

    id: str
    convene_room: str
    language: str | None  # None: the floor
    allowed: frozenset[str]  # person ids
    unmuted: frozenset[str]  # person ids the bridge unmutes; all others muted


@dataclass(frozen=True)
class Placement:
    """Where one person's client joins: one room to hear, rooms to speak into."""

    room_id: str
    language: str  # the channel heard
    listen: str
    speak: tuple[str, ...]


def state_from_views(
    rooms: Iterable[Mapping],
    people: Iterable[Mapping],
    default_language: str,
    speakers: Mapping[str, str] | None = None,
) -> MediaState:
    """From the public JSON shapes: ``channels.rooms`` of a snapshot (or GET
    .../channels) and person objects (``id``, ``role``, ``room_id``)."""
    built = {}
    for r in rooms:
        chans = {}
        for c in r["channels"]:
            src = c.get("source") or {}
            chans[c["language"]] = Channel(
                language=c["language"],
                on_air=c.get("on_air"),
                source_kind=src.get("kind"),
                source_language=src.get("language"),
                booth=tuple(b["person_id"] for b in c.get("booth", ())),
            )
        built[r["room_id"]] = Room(r["room_id"], r["floor_language"], chans)
    folks = {
        p["id"]: Person(p["id"], p["role"], p.get("room_id"), p.get("listening")) for p in people
    }
    return MediaState(built, folks, default_language, dict(speakers or {}))


def desired(state: MediaState) -> dict[str, AudioRoom]:
    """Every AudioBridge room the state implies, with who may join and who speaks."""
    present: dict[str, set[str]] = {rid: set() for rid in state.rooms}
    for p in state.people.values():
        if p.role != "observer" and p.room_id in present:
            present[p.room_id].add(p.id)
    out: dict[str, AudioRoom] = {}
    for rid, room in state.rooms.items():
        people = frozenset(present[rid])
        floor_voices = {pid for pid in people if state.people[pid].role == "moderator"}
        called = state.speakers.get(rid)
        if called in people:
            floor_voices.add(called)
        fid = floor_room(rid)
        out[fid] = AudioRoom(fid, rid, None, people, frozenset(floor_voices))
        for lang, ch in room.channels.items():
            cid = channel_room(rid, lang)
            live = ch.on_air if ch.source_kind in ("interpreter", "relay") else None
            voices = frozenset({live}) & people if live else frozenset()
            out[cid] = AudioRoom(cid, rid, lang, people, voices)
    return out


def _hears(room: Room, language: str) -> str:
    """The AudioBridge room that carries channel ``language`` of ``room``: the floor
    room while that language is spoken on the floor, else the channel's own room."""
    ch = room.channels.get(language)
    if ch is None or ch.source_kind == FLOOR:
        return floor_room(room.id)
    return channel_room(room.id, language)


def placement(state: MediaState, person_id: str) -> Placement | None:
    """Where ``person_id`` joins, or None when they are in no open room (or observe).

    Listeners hear their channel (the floor room when that channel's source is the
    floor). A live interpreter hears what they interpret from: the floor, or the
    channel they relay. A booth partner hears what the live one hears, so they can
    take over; booth members keep a (muted) join in each of their booths' channel
    rooms, so a handover is only an unmute and a mute. Everyone else speaks on the
    floor (muted unless a moderator or the called speaker)."""
    person = state.people.get(person_id)
    if person is None or person.role == "observer" or person.room_id not in state.rooms:
        return None
    room = state.rooms[person.room_id]
    booths = [ch for ch in room.channels.values() if person_id in ch.booth]
    live = next((ch for ch in booths if ch.on_air == person_id), None)
    work = live or next((ch for ch in booths if ch.on_air is not None), None)
    if work is not None and work.source_kind in ("interpreter", "relay"):
        heard = work.source_language or room.floor_language
        listen = _hears(room, heard) if work.source_kind == "relay" else floor_room(room.id)
    else:
        chosen = person.listening
        heard = chosen if chosen in room.channels else None
        if heard is None:
            heard = (
                state.default_language
                if state.default_language in room.channels
                else room.floor_language
            )
        listen = _hears(room, heard)
    if booths:
        speak = tuple(channel_room(room.id, ch.language) for ch in booths)
    else:
        speak = (floor_room(room.id),)
    return Placement(room.id, heard, listen, speak)
