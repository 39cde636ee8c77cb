"""The system's Chromium driven by Playwright (never ``playwright install``: its own
browser download cannot work here), and helpers the console's browser tests share."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import pytest_asyncio

CHROMIUM = os.environ.get("CONVENE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = Path(__file__).parent / "axe" / "axe.min.js"


def _absent(why: str) -> None:
    if os.environ.get("CONVENE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"CONVENE_REQUIRE_SERVICES=1 but {why}")
    pytest.skip(why)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser():
    """One headless Chromium per test module."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _absent(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _absent("Playwright for Python is not installed (pip install -e '.[dev]')")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        await b.close()


SKEW_SCRIPT = """(() => {
  const off = %d, Real = Date, now = Real.now.bind(Real);
  class Skewed extends Real {
    constructor(...a) { if (a.length) super(...a); else super(now() + off); }
    static now() { return now() + off; }
  }
  globalThis.Date = Skewed;
})();"""


async def open_page(
    browser,
    server,
    token: str | None,
    *,
    skew_s: float = 0,
    axe: bool = False,
    ui_language: str | None = None,
):
    """A page of its own (own sessionStorage) on the person's join link. ``skew_s``
    moves the page's local clock; ``axe`` injects axe-core, which the page's CSP
    rightly blocks, so its context bypasses the CSP."""
    context = await browser.new_context(bypass_csp=axe, viewport={"width": 1280, "height": 900})
    if skew_s:
        await context.add_init_script(SKEW_SCRIPT % int(skew_s * 1000))
    if ui_language:  # as if the person had chosen it in "Interface language"
        await context.add_init_script(
            f"sessionStorage.setItem('convene.ui_language', {ui_language!r})"
        )
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: page.errors.append(f"dialog: {d.message}"))
    await page.goto(f"{server.url}/join" + (f"#token={token}" if token else ""))
    return page


async def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations of the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
