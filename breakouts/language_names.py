"""English names of language codes, for sentences a moderator reads.

"no room carries Arabic (ar)" is clearer than "no room carries ar"; unknown
codes are shown as they are.
"""

from __future__ import annotations

NAMES: dict[str, str] = {
    "am": "Amharic",
    "ar": "Arabic",
    "az": "Azerbaijani",
    "be": "Belarusian",
    "bs": "Bosnian",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fr": "French",
    "he": "Hebrew",
    "hy": "Armenian",
    "it": "Italian",
    "ka": "Georgian",
    "ku": "Kurdish",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sq": "Albanian",
    "sr": "Serbian",
    "sw": "Swahili",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "zh": "Chinese",
}


def describe(code: str) -> str:
    """``"Arabic (ar)"`` for a known code, the code itself otherwise."""
    base = code.split("-", 1)[0].lower()
    name = NAMES.get(base)
    return f"{name} ({code})" if name else code
