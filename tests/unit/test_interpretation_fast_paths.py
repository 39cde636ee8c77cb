"""The domain's fast paths (taken because a round moves a thousand people at once)
give exactly what the general code they stand for gives."""

from __future__ import annotations

from dataclasses import fields, replace

from hypothesis import given
from hypothesis import strategies as st

from interpretation.state import Member

ids = st.text("abc", min_size=1, max_size=3)
maybe = st.none() | ids
# every field varied, so a field added to Member and forgotten by a shortcut fails
members = st.fixed_dictionaries(
    {f.name: st.none() | st.booleans() | ids for f in fields(Member)}
).map(lambda kw: Member(**kw))


@given(members, maybe)
def test_a_member_moved_or_hearing_is_the_member_replaced(member, value):
    assert member.in_room(value) == replace(member, room_id=value)
    assert member.hearing(value) == replace(member, listening=value)
