"""The DST grid: every quarter hour around the 2020-2022 transitions, as a table.

Transitions are found by scanning each zone's UTC offsets (``zoneinfo`` going from
UTC to local, independent of the fold logic under test). Around each transition
of the zone itself and each transition of the event zone (Europe/Berlin, whose
changes move every participant's local view), every quarter hour of wall time
within 3 hours is resolved and checked: ambiguous or nonexistent exactly where
the offset jumps, otherwise the instant ``zoneinfo`` gives and a round trip back
to the same wall time.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.time_errors import AmbiguousTimeError, NonexistentTimeError
from scheduler.views import local_view
from scheduler.wallclock import resolve_instant
from scheduler.zones import get_zone, use_packaged_tzdata

use_packaged_tzdata()

EVENT_ZONE = "Europe/Berlin"
ZONES = [
    "Europe/Berlin",
    "Asia/Tbilisi",
    "Europe/Kyiv",
    "Europe/Minsk",
    "Europe/Istanbul",
    "Asia/Yerevan",
    "Asia/Baku",
    "Asia/Amman",
    "Asia/Beirut",
    "Africa/Cairo",
    "America/Bogota",
    "Africa/Nairobi",
    "Asia/Taipei",
]
SCAN_FROM, SCAN_TO = datetime(2020, 1, 1, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC)
AROUND = timedelta(hours=3)
QUARTER = timedelta(minutes=15)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    return instant.astimezone(zone).utcoffset()


@functools.cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """UTC instants in 2020-2022 at which the zone's offset changes (to the second)."""
    zone = get_zone(zone_name)
    found = []
    step = timedelta(hours=6)
    t = SCAN_FROM
    while t < SCAN_TO:
        nxt = t + step
        if _offset(zone, t) != _offset(zone, nxt):
            # Bisect on whole seconds: offset(low) is the old offset, offset(high) the new.
            low, high = int(t.timestamp()), int(nxt.timestamp())
            old = _offset(zone, t)
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(zone, datetime.fromtimestamp(mid, UTC)) == old:
                    low = mid
                else:
                    high = mid
            found.append(datetime.fromtimestamp(high, UTC))
        t = nxt
    return tuple(found)


def test_the_scan_finds_the_known_transitions():
    assert transitions("Europe/Berlin")[:2] == (
        datetime(2020, 3, 29, 1, tzinfo=UTC),
        datetime(2020, 10, 25, 1, tzinfo=UTC),
    )
    counts = {name: len(transitions(name)) for name in ZONES}
    # Amman moved to permanent +03 in 2022: no return to +02 that autumn.
    assert counts == {
        **dict.fromkeys(ZONES, 0),
        "Europe/Berlin": 6,
        "Europe/Kyiv": 6,
        "Asia/Beirut": 6,
        "Asia/Amman": 5,
    }


def grid(zone_name: str):
    """(wall, expected) rows; expected is ("one", utc) | ("ambiguous"|"nonexistent", (a, b))."""
    zone = get_zone(zone_name)
    moments = sorted(set(transitions(zone_name)) | set(transitions(EVENT_ZONE)))
    rows = []
    for moment in moments:
        before = _offset(zone, moment - timedelta(seconds=1))
        after = _offset(zone, moment)
        naive = moment.replace(tzinfo=None)
        edge_before, edge_after = naive + before, naive + after  # the jump in wall time
        wall = _floor_quarter(min(edge_before, edge_after) - AROUND)
        last = max(edge_before, edge_after) + AROUND
        while wall <= last:
            readings = tuple(sorted((wall - before, wall - after)))
            readings = tuple(r.replace(tzinfo=UTC) for r in readings)
            if after > before and edge_before <= wall < edge_after:
                rows.append((wall, ("nonexistent", readings)))
            elif after < before and edge_after <= wall < edge_before:
                rows.append((wall, ("ambiguous", readings)))
            else:
                first_side = wall < min(edge_before, edge_after)
                offset = before if first_side else after
                rows.append((wall, ("one", (wall - offset).replace(tzinfo=UTC))))
            wall += QUARTER
    return rows


def _floor_quarter(wall: datetime) -> datetime:
    return wall.replace(minute=wall.minute - wall.minute % 15, second=0, microsecond=0)


@pytest.mark.parametrize("zone_name", ZONES)
def test_quarter_hour_grid_around_transitions(zone_name):
    zone = get_zone(zone_name)
    rows = grid(zone_name)
    assert len(rows) >= 6 * 24  # at least the event zone's six windows
    seen = {"one": 0, "ambiguous": 0, "nonexistent": 0}
    for wall, (kind, expected) in rows:
        seen[kind] += 1
        text = wall.isoformat(timespec="minutes")
        if kind == "one":
            instant = resolve_instant(text, zone_name)
            assert instant == expected, text
            assert instant == wall.replace(tzinfo=zone).astimezone(UTC), text  # zoneinfo agrees
            assert instant.astimezone(zone).replace(tzinfo=None) == wall, text  # round trip
            continue
        error = AmbiguousTimeError if kind == "ambiguous" else NonexistentTimeError
        with pytest.raises(error) as caught:
            resolve_instant(text, zone_name)
        assert caught.value.candidates == expected, text
        round_trips = [c.astimezone(zone).replace(tzinfo=None) == wall for c in expected]
        assert round_trips == ([True, True] if kind == "ambiguous" else [False, False]), text
        for candidate in expected:  # the explicit offset of each reading is accepted
            offset = wall.replace(tzinfo=UTC) - candidate
            sign = "-" if offset < timedelta(0) else "+"
            hours, rest = divmod(abs(int(offset.total_seconds())), 3600)
            explicit = f"{text}{sign}{hours:02d}:{rest // 60:02d}"
            assert resolve_instant(explicit, zone_name) == candidate, explicit
    has_own = bool(transitions(zone_name))
    assert (seen["ambiguous"] > 0) == has_own
    assert (seen["nonexistent"] > 0) == has_own


@pytest.mark.parametrize("zone_name", ZONES)
def test_local_view_grid_around_the_event_zones_transitions(zone_name):
    """Every quarter hour of UTC around Berlin's changes, seen from each zone."""
    zone = get_zone(zone_name)
    berlin = get_zone(EVENT_ZONE)
    for moment in transitions(EVENT_ZONE):
        instant = moment - AROUND
        while instant <= moment + AROUND:
            end = instant + timedelta(hours=2)
            view = local_view(instant, end, zone_name, EVENT_ZONE)
            start_local = datetime.fromisoformat(view["start"])
            assert start_local == instant and datetime.fromisoformat(view["end"]) == end
            assert start_local.utcoffset() == _offset(zone, instant)
            assert view["start_abbr"] == instant.astimezone(zone).tzname()
            assert view["end_abbr"] == end.astimezone(zone).tzname()
            expected_shift = instant.astimezone(zone).date() - instant.astimezone(berlin).date()
            assert view["day_shift"] == expected_shift.days
            instant += QUARTER
