"""The cast of the interpretation state machine test: interpreters with their
directions, participants with their languages, the rooms and languages it draws from."""

from __future__ import annotations

from tests.unit.test_interpretation_helpers import P

INTERPRETERS = {
    "A1": ("en>ar", "ar>en"),
    "A2": ("en>ar", "ar>en"),
    "R1": ("en>ru",),
    "R2": ("en>ru", "ar>ru"),
    "V": ("en>ar", "ar>ru", "en>de"),
    "D": ("de>ru", "en>de", "de>en"),
}
PARTICIPANTS = {"p1": "ru", "p2": "ar", "p3": "en", "p4": "de"}
PEOPLE = [*INTERPRETERS, *PARTICIPANTS, "ghost"]
LANGS = ["en", "ar", "ru", "de", "fr"]
BREAKOUTS = {"G1": ("ar",), "G2": ("ru", "de")}
ROOMS = [P, *BREAKOUTS, "nowhere"]


def routing(channel: dict) -> dict:
    return {k: v for k, v in channel.items() if k != "listeners"}
