"""``UTCDateTime`` on SQLite writes its text itself (faster than SQLAlchemy's bind
processor): the stored text must stay what SQLAlchemy's DATETIME wrote, since rows
written before and after compare and sort as text."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, MetaData, String, Table, create_engine, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite.base import DATETIME

from server.db import UTCDateTime

ZONES = [dt.UTC, zoneinfo.ZoneInfo("Europe/Berlin"), dt.timezone(dt.timedelta(hours=-3))]
SQLALCHEMY_TEXT = DATETIME().bind_processor(sqlite.dialect())
BIND = UTCDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())


@given(
    st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31)),
    st.sampled_from(ZONES),
    st.booleans(),
)
def test_sqlite_text_is_sqlalchemys(naive: dt.datetime, zone, whole_second: bool) -> None:
    if whole_second:
        naive = naive.replace(microsecond=0)
    value = naive.replace(tzinfo=zone)
    assert BIND(value) == SQLALCHEMY_TEXT(value.astimezone(dt.UTC).replace(tzinfo=None))


def test_round_trip_on_sqlite() -> None:
    table = Table("t", MetaData(), Column("k", String, primary_key=True), Column("at", UTCDateTime))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    berlin = dt.datetime(2030, 3, 31, 3, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    with engine.begin() as c:
        c.execute(insert(table), [{"k": "a", "at": berlin}, {"k": "b", "at": None}])
        stored = c.execute(text("SELECT at FROM t WHERE k = 'a'")).scalar_one()
        back = dict(c.execute(select(table.c.k, table.c.at)).all())
        later = c.execute(select(table.c.k).where(table.c.at > berlin)).all()
    assert stored == "2030-03-31 01:30:00.000000"
    assert back == {"a": berlin, "b": None} and back["a"].tzinfo is dt.UTC
    assert later == []
