"""One table of ISO 639-1 codes decides what a language code is, at the edge (request
models) and in the domain alike: a code one refuses the other refuses too."""

from __future__ import annotations

import re

import pytest

from interpretation.errors import InterpretationError
from interpretation.languages import ISO_639_1, is_language_code, require_language
from server.schemas import PersonCreate


def test_iso_639_1_list():
    assert len(ISO_639_1) == 183
    assert all(re.fullmatch(r"[a-z]{2}", code) for code in ISO_639_1)
    for code in ("en", "ar", "ru", "de", "uk", "ka", "hy", "az", "sq", "sr", "tr"):
        assert is_language_code(code)
    for code in ("EN", "eng", "xx", "", "sh", "bh", " en", None, 7):
        assert not is_language_code(code)


@pytest.mark.parametrize("code", ["xx", "sh", "qq"])
def test_the_domain_refuses_the_two_letter_codes_the_edge_refuses(code):
    with pytest.raises(ValueError):
        PersonCreate(name="n", role="participant", language=code)
    with pytest.raises(InterpretationError) as refused:
        require_language(code)
    assert refused.value.status == 422
