"""Zone source, zone-name validation and language codes."""

from __future__ import annotations

import re
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.time_errors import TimeInputError
from scheduler.zones import (
    get_zone,
    tzdata_package_version,
    tzdata_version,
    use_packaged_tzdata,
    zone_names,
)

use_packaged_tzdata()


def test_packaged_tzdata_is_the_only_source_and_idempotent():
    use_packaged_tzdata()
    berlin = get_zone("Europe/Berlin")
    use_packaged_tzdata()  # a second call must not clear the cache again
    assert zoneinfo.TZPATH == ()
    assert get_zone("Europe/Berlin") is berlin
    assert "Europe/Berlin" in zone_names()
    assert not any(name.startswith(("right/", "posix/")) for name in zone_names())


def test_tzdata_versions_are_reported():
    import tzdata

    assert tzdata_version() == tzdata.IANA_VERSION
    assert re.fullmatch(r"\d{4}[a-z]", tzdata_version())
    assert re.fullmatch(r"\d{4}\.\d+", tzdata_package_version())


@pytest.mark.parametrize(
    "name", ["Europe/Berlin", "Asia/Tbilisi", "America/Bogota", "UTC", "Europe/Kyiv"]
)
def test_known_zones(name):
    assert get_zone(name).key == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../x",
        "Not/AZone",
        "/etc/passwd",
        "UTC ",
        " Europe/Berlin",
        "europe/berlin",
        "Europe/Berlin/",
        "Europe",
        "a\x00b",
        "\udc80",
        "x" * 300,
        None,
        42,
    ],
)
def test_unknown_zones_are_refused_with_field_and_value(name):
    with pytest.raises(TimeInputError) as caught:
        get_zone(name, field="tz")
    assert caught.value.field == "tz"
    assert caught.value.value == name
    assert "not a known IANA time zone" in caught.value.detail


def test_unknown_zone_detail_suggests_the_right_spelling():
    with pytest.raises(TimeInputError, match='Did you mean "Europe/Berlin"'):
        get_zone("europe/berlin")


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.text(max_size=80))
def test_arbitrary_text_only_ever_raises_time_input_error(text):
    try:
        zone = get_zone(text)
    except TimeInputError as exc:
        assert exc.field == "timezone"
    else:
        assert zone.key == text
