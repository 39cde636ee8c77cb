"""The routing rule and the parsing it rests on."""

from __future__ import annotations

import pytest

from interpretation import Direction, InterpretationError, Interpreter, Source, compute_sources


@pytest.mark.parametrize(
    ("text", "expected"),
    [("en>ar", Direction("en", "ar")), ("ar>en", Direction("ar", "en"))],
)
def test_direction_parses(text, expected):
    assert Direction.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text", ["en", "en>", ">ar", "en>en", "EN>ar", "eng>ar", "en>ar>ru", "en-ar", "", None, 3]
)
def test_direction_rejects(text):
    with pytest.raises(InterpretationError) as info:
        Direction.parse(text)
    assert info.value.kind == "invalid" and info.value.status == 422


def interpreter(*dirs: str) -> Interpreter:
    return Interpreter.of("x", dirs)


ARABIC = interpreter("en>ar", "ar>en")
RUSSIAN = interpreter("en>ru")
FLOOR = Source("floor", "en")


@pytest.mark.parametrize(
    ("floor", "channels", "live", "expected"),
    [
        pytest.param(
            "en",
            ["en", "ar", "ru"],
            {},
            {"en": FLOOR, "ar": None, "ru": None},
            id="nobody live: only the floor is covered",
        ),
        pytest.param(
            "en",
            ["en", "ar", "ru"],
            {"ar": ARABIC, "ru": RUSSIAN},
            {"en": FLOOR, "ar": Source("interpreter", "en"), "ru": Source("interpreter", "en")},
            id="english floor: both booths direct",
        ),
        pytest.param(
            "ar",
            ["en", "ar", "ru"],
            {"en": ARABIC, "ru": RUSSIAN},
            {
                "en": Source("interpreter", "ar"),
                "ar": Source("floor", "ar"),
                "ru": Source("relay", "en"),
            },
            id="arabic floor: retour into english, russian relays from english",
        ),
        pytest.param(
            "ar",
            ["en", "ar", "ru"],
            {"en": ARABIC, "ru": interpreter("en>ru", "ar>ru")},
            {
                "en": Source("interpreter", "ar"),
                "ar": Source("floor", "ar"),
                "ru": Source("interpreter", "ar"),
            },
            id="direct beats relay",
        ),
        pytest.param(
            "ar",
            ["en", "ar", "ru"],
            {"ru": RUSSIAN},
            {"en": None, "ar": Source("floor", "ar"), "ru": None},
            id="no retour: the relay has nothing to hear",
        ),
        pytest.param(
            "ar",
            ["en", "ar", "ru", "de"],
            {
                "en": ARABIC,
                "de": interpreter("ar>de", "en>de"),
                "ru": interpreter("de>ru", "en>ru"),
            },
            {
                "en": Source("interpreter", "ar"),
                "ar": Source("floor", "ar"),
                "de": Source("interpreter", "ar"),
                "ru": Source("relay", "en"),
            },
            id="relay prefers the floor-language retour",
        ),
        pytest.param(
            "ar",
            ["en", "ar", "ru", "de"],
            {"en": ARABIC, "de": interpreter("en>de"), "ru": interpreter("de>ru")},
            {
                "en": Source("interpreter", "ar"),
                "ar": Source("floor", "ar"),
                "de": Source("relay", "en"),
                "ru": None,
            },
            id="never a relay of a relay",
        ),
        pytest.param(
            "ru",
            ["en", "ar"],
            {"ar": interpreter("ru>ar")},
            {"en": None, "ar": Source("interpreter", "ru")},
            id="floor language without a channel in the room",
        ),
        pytest.param(
            "en",
            ["en", "ar"],
            {"ar": interpreter("ru>ar"), "ru": RUSSIAN},
            {"en": FLOOR, "ar": None},
            id="live interpreters of absent channels are ignored",
        ),
    ],
)
def test_compute_sources(floor, channels, live, expected):
    assert compute_sources(floor, channels, live, pivot="en") == expected


def test_relay_cycle_without_a_source_stays_uncovered():
    live = {"de": interpreter("ru>de"), "ru": interpreter("de>ru")}
    assert compute_sources("en", ["en", "de", "ru"], live) == {
        "en": FLOOR,
        "de": None,
        "ru": None,
    }
