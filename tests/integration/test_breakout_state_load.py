"""A breakout command that reads no one but the interpreters (an opening, a timer, a
step, a staff snapshot) loads the state without everyone of the event (issue 19):
what it holds is what the full load holds, and what it lacks it refuses to give."""

from __future__ import annotations

import datetime as dt

import pytest

from server.models import BreakoutRound, Event, Person, Placement, PresenceLease, Room, Session
from server.services.breakout_state import load
from server.services.interpretation_follow import booths_follow_round

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.filterwarnings("ignore:(?s).*session.exec:DeprecationWarning"),
]

T0 = dt.datetime(2030, 1, 1, 10, 0, tzinfo=dt.UTC)


async def _session(db) -> tuple[str, str]:
    """A live session: participants (some placed, some listening to French, some
    online), two French interpreters, a moderator, and a planned round of a French and
    a plain room with everyone planned."""
    ev = Event(title="Assembly", timezone="UTC", floor_language="en")
    async with db.write() as tx:
        tx.add(ev)
        await tx.flush()
        s = Session(
            event_id=ev.id,
            title="Plenary",
            start=T0,
            end=T0 + dt.timedelta(hours=2),
            timezone="UTC",
            status="live",
        )
        plenary = Room(session_id=s.id, name="P", kind="plenary")
        s.plenary_room_id = plenary.id
        tx.add(s)
        await tx.flush()
        rnd = BreakoutRound(session_id=s.id, strategy="manual", number=1, floor_language="en")
        fr = Room(session_id=s.id, round_id=rnd.id, name="FR", kind="breakout", position=1)
        fr.languages = ["fr"]
        plain = Room(session_id=s.id, round_id=rnd.id, name="X", kind="breakout", position=2)
        people = [
            Person(event_id=ev.id, name=f"P{i}", role="participant", token_hash=f"h{i}")
            for i in range(12)
        ]
        people += [
            Person(
                event_id=ev.id,
                name=f"I{i}",
                role="interpreter",
                token_hash=f"i{i}",
                interprets=["en>fr", "fr>en"],
            )
            for i in range(2)
        ]
        people.append(Person(event_id=ev.id, name="M", role="moderator", token_hash="m"))
        rnd.plan = {p.id: (fr.id if i % 2 else plain.id) for i, p in enumerate(people[:12])}
        tx.add_all([plenary, rnd, fr, plain, *people])
        await tx.flush()
        for i, p in enumerate(people):
            if i % 3:
                listening = "fr" if i % 4 == 1 else None
                tx.add(
                    Placement(
                        session_id=s.id, person_id=p.id, room_id=plenary.id, listening=listening
                    )
                )
            if i % 2:
                tx.add(
                    PresenceLease(
                        id=f"lease{i}",
                        session_id=s.id,
                        person_id=p.id,
                        instance_id="x",
                        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
                    )
                )
    return s.id, rnd.id


async def test_a_load_without_people_holds_what_the_full_load_holds(migrated_db):
    sid, rid = await _session(migrated_db)
    async with migrated_db.read() as tx:
        s = await tx.get(Session, sid)
        for round_id in (rid, None):
            full = await load(tx, s, round_id)
            lean = await load(tx, s, round_id, people=False)
            assert lean.rounds == full.rounds
            assert lean.placement == full.placement
            assert lean.attending == full.attending
            assert lean.listening == full.listening
            assert sorted(lean.rooms) == sorted(full.rooms)
            interpreters = {pid: p for pid, p in full.people.items() if p.role == "interpreter"}
            assert len(interpreters) == 2
            assert lean.interpreters == full.interpreters == interpreters
            assert len(full.members) == 15 and any(m.online for m in full.members.values())
            # the interpreters follow the round into the French room either way
            moves = await booths_follow_round(tx, full, full.rounds[rid])
            assert set(moves) == set(interpreters)
            assert await booths_follow_round(tx, lean, lean.rounds[rid]) == moves
            # what it was loaded without, it does not pretend to have
            with pytest.raises(RuntimeError):
                lean.people  # noqa: B018
            with pytest.raises(RuntimeError):
                lean.members  # noqa: B018
