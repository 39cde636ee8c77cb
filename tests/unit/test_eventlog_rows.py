"""The event log's rows are made straight from the records (issue 19): for every
record, on SQLite and on PostgreSQL, the driver gets exactly the parameters ``bulk``'s
general path gives it for the same row."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from server import bulk
from server.db import ENGINE_OPTIONS
from server.eventlog import INSERT, ROW_KEYS, LogRecord, row_insert

DIALECTS = {
    "sqlite": create_engine("sqlite://", **ENGINE_OPTIONS).dialect,
    "postgresql": create_engine("postgresql+psycopg://u@127.0.0.1/x", **ENGINE_OPTIONS).dialect,
}

ids = st.text("abc-", min_size=1, max_size=6)
json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | ids,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ids, inner, max_size=3),
    max_leaves=8,
)
zones = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=4)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))]
)
instants = st.builds(
    lambda naive, zone: naive.replace(tzinfo=zone),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    zones,
)
records = st.builds(
    LogRecord,
    session_id=ids,
    seq=st.integers(1, 10**9),
    type=st.sampled_from(["room.moved", "listening.changed", "channel.updated", "room.counts"]),
    audience=st.lists(ids, max_size=3),
    by=st.none() | ids,
    data=st.dictionaries(ids, json, max_size=4)
    | st.fixed_dictionaries({"person_id": st.none() | ids}, optional={"x": json}),
    at=instants,
)


def _plain(value):
    """psycopg's ``Json`` wrappers compare by identity: compare what they wrap."""
    if hasattr(value, "obj") and hasattr(value, "dumps"):
        return ("Json", value.obj, value.dumps)
    return value


def _rows(params: list) -> list:
    out = []
    for p in params:
        if isinstance(p, dict):
            out.append({k: _plain(v) for k, v in p.items()})
        else:
            out.append(tuple(_plain(v) for v in p))
    return out


@pytest.mark.parametrize("name", sorted(DIALECTS))
@settings(deadline=None, max_examples=200)
@given(batch=st.lists(records, min_size=1, max_size=6))
def test_the_rows_made_from_records_are_the_general_paths(name, batch):
    dialect = DIALECTS[name]
    fast = row_insert(dialect)
    assert fast is not None  # both databases take it
    sql, params = fast
    general_sql, make = bulk.prepared(INSERT, dialect, ROW_KEYS)
    assert sql == general_sql
    assert _rows(params(batch)) == _rows([make(r.row()) for r in batch])
