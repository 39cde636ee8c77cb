"""Numbers read from query strings, headers and frames.

``str.isdigit`` is true for ``²`` and ``①`` (which ``int`` refuses) and ``int`` accepts
other scripts' digits but refuses more than 4,300 of them: client text is read with a
regex of ASCII digits and a length bound instead, and anything else is "no number"."""

from __future__ import annotations

import re

MAX_DIGITS = 18  # every value below 10**18 fits a signed 64-bit column (seq, lengths)

_NATURAL = re.compile(rb"[0-9]{1,%d}" % MAX_DIGITS)


def natural(text: str | bytes | None) -> int | None:
    """A non-negative integer of at most ``MAX_DIGITS`` ASCII digits, else None."""
    if text is None:
        return None
    raw = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return int(raw) if _NATURAL.fullmatch(raw) else None
