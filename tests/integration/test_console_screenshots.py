"""``make screenshots``: each role's page in English and Arabic, from a real scenario,
into docs/console/ (docs/console.md shows them). Not part of ``make test``: it runs
only when CONVENE_SCREENSHOTS names the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.support.browser import browser, open_page  # noqa: F401
from tests.support.client import Api, make_world, ws_connect

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

OUT = os.environ.get("CONVENE_SCREENSHOTS")
ROLES = {"moderator": "mod", "observer": "obs", "interpreter": "ar1", "participant": "p2"}


@pytest.mark.skipif(not OUT, reason="make screenshots sets CONVENE_SCREENSHOTS")
async def test_screenshots_of_every_role_in_english_and_arabic(browser, server):  # noqa: F811
    out = Path(OUT)
    out.mkdir(parents=True, exist_ok=True)
    w = await make_world(server)
    sid = w.session["id"]
    online = [await ws_connect(server, sid, w.token(k)) for k in ("ar1", "p1", "p2", "p3")]
    async with Api(server.url, w.token("mod")) as mod, Api(server.url, w.token("ar1")) as ar1:
        await ar1.ok("POST", f"/api/sessions/{sid}/channels/ar/on-air")
        async with Api(server.url, w.token("p2")) as p2:
            await p2.ok("POST", f"/api/sessions/{sid}/help", {}, 201)
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "Welcome!"}, 201)
        rnd = await mod.ok(
            "POST",
            f"/api/sessions/{sid}/breakouts",
            {
                "rooms": [{"name": "Digital divide", "languages": ["ar"]}, {"name": "City Lab"}],
                "strategy": "by_language",
                "duration_s": 1200,
            },
            201,
        )
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        # the speaker queue and chat, as they look in use
        async with Api(server.url, w.token("p2")) as p2, Api(server.url, w.token("p1")) as p1:
            await p2.ok("POST", f"/api/sessions/{sid}/hands", {"language": "ar"}, 201)
            await p1.ok("POST", f"/api/sessions/{sid}/hands", {}, 201)
            await p2.ok(
                "POST",
                f"/api/sessions/{sid}/messages",
                {"text": "Can we share slides?", "to": "room"},
                201,
            )
            await p2.ok(
                "POST",
                f"/api/sessions/{sid}/messages",
                {"text": "My audio is choppy", "to": "moderators"},
                201,
            )
            await mod.ok(
                "POST",
                f"/api/sessions/{sid}/messages",
                {"text": "Checking now", "to": w.id("p2")},
                201,
            )
        await ar1.call(
            "POST", f"/api/sessions/{sid}/messages", {"text": "Switch at :30?", "to": "booth"}
        )
    for lang in ("en", "ar"):
        for role, key in ROLES.items():
            page = await open_page(browser, server, w.token(key), ui_language=lang)
            await expect(page.locator("main section").first).to_be_visible(timeout=20_000)
            await expect(page.locator("html")).to_have_attribute("lang", lang)
            await expect(page.locator("li.chat-message").first).to_be_visible(timeout=20_000)
            await page.screenshot(path=out / f"{role}-{lang}.png", full_page=True)
            await page.context.close()
    for ws in online:
        await ws.close()
