"""A new attendance tally has the table's defaults (taken once from the model), and no
two tallies share a JSON default."""

from __future__ import annotations

from server.models import AttendanceTally
from server.services.attendance_tally import new_tally


def test_a_new_tally_has_the_models_defaults_and_its_own_json_values():
    a = new_tally(session_id="s", person_id="p1", room_id="r")
    b = new_tally(session_id="s", person_id="p2")
    model = AttendanceTally(session_id="s", person_id="p1", room_id="r")
    assert a.values() == tuple(getattr(model, c.name) for c in AttendanceTally.__table__.c)
    assert a.rooms == {} and a.rooms is not b.rooms and a.listened is not b.listened
