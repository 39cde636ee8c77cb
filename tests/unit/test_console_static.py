"""The console's static side: message catalogues complete in every language, no
inline script anywhere (the CSP forbids it), layout in logical CSS properties (Arabic
mirrors), and the client module's own tests under Node's test runner."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "server" / "console" / "static"


def test_every_message_key_exists_in_every_language():
    files = (STATIC / "i18n").glob("*.json")
    catalogues = {p.stem: json.loads(p.read_text("utf-8")) for p in files}
    assert {"en", "ar", "ru"} <= set(catalogues)
    english = catalogues["en"]
    for lang, messages in catalogues.items():
        assert set(messages) == set(english), lang
        for key, text in messages.items():
            assert text.strip(), (lang, key)
            # the same {placeholders} as English, so no translation drops a value
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", english[key])), (
                lang,
                key,
            )


def test_every_key_the_pages_use_is_in_the_catalogue():
    english = json.loads((STATIC / "i18n" / "en.json").read_text("utf-8"))
    used = set()
    for js in STATIC.glob("*.js"):
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", js.read_text("utf-8")))
    assert used and used <= set(english), used - set(english)


def test_no_inline_script_or_event_handler_attributes():
    for page in STATIC.glob("*.html"):
        html = page.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (page.name, tag)
        assert not re.search(r"\son\w+\s*=", html), page.name
    for js in STATIC.glob("*.js"):
        text = js.read_text("utf-8")
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, js.name
        assert "document.write" not in text and "eval(" not in text, js.name


def test_layout_uses_logical_properties_only():
    css = (STATIC / "console.css").read_text("utf-8")
    physical = re.findall(
        r"\b(?:margin|padding|border)-(?:left|right)\b|(?<![\w-])(?:left|right)\s*:|"
        r"text-align:\s*(?:left|right)|float:\s*(?:left|right)",
        css,
    )
    assert physical == []


def test_client_module_under_node_test_runner():
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed; the client module's unit tests need it")
    run = subprocess.run(
        [node, "--test", str(ROOT / "tests" / "js")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
