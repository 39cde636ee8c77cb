"""The session status machine, as a table."""

from __future__ import annotations

import pytest

from scheduler.status import STATUSES, StatusConflict, check_transition

ALLOWED = {
    ("scheduled", "lobby"),
    ("scheduled", "live"),
    ("lobby", "live"),
    ("live", "ended"),
    ("scheduled", "cancelled"),
    ("lobby", "cancelled"),
    ("live", "cancelled"),
}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_pair(current, target):
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(StatusConflict) as exc:
            check_transition(current, target)
        assert current in str(exc.value) and target in str(exc.value)
