"""A round's life answers with ``json_response`` (issue 19): for every plain-JSON
value (what ``utc_json`` makes of a round's view) the same bytes and headers as
FastAPI's default answer of the same value."""

from __future__ import annotations

import datetime as dt

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from hypothesis import given, settings
from hypothesis import strategies as st

import breakouts as bo
from server.jsonish import json_response, utc_json

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


def _same(value) -> None:
    ours, default = json_response(value), JSONResponse(jsonable_encoder(value))
    assert ours.body == default.body
    assert ours.status_code == default.status_code
    assert ours.headers.items() == default.headers.items()


@settings(deadline=None, max_examples=300)
@given(plain)
def test_a_plain_value_is_answered_as_fastapi_answers_it(value):
    _same(value)


def test_a_rounds_view_is_answered_as_fastapi_answers_it():
    now = dt.datetime(2030, 1, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    rooms = (bo.RoomSpec("r1", "Salle é", ("fr",), 4), bo.RoomSpec("r2", "B"))
    r = bo.Round(
        id="k",
        session_id="s",
        strategy="manual",
        rooms=rooms,
        status="open",
        plan={"p1": "r1", "p2": "r2"},
        unplaced=(bo.Unplaced("p3", "no_room"),),
        duration_s=600,
        countdown_s=30,
        opened_at=now,
        ends_at=now + dt.timedelta(minutes=10),
    )
    view = utc_json(bo.round_view(r, bo.Placement({"p1": "r1", "p2": "r2"})))
    _same(view)
