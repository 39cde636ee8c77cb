"""Accessibility of the console: axe-core finds no serious or critical violation on
any page, and a moderator runs a round with the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import axe_violations, browser, open_page  # noqa: F401
from tests.support.client import Api, make_world, ws_connect

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

WAIT = 20_000


async def test_every_page_has_no_serious_accessibility_violation(browser, server):  # noqa: F811
    w = await make_world(server)
    async with Api(server.url, w.token("p2")) as p2:  # an open help request shows too
        await p2.ok("POST", f"/api/sessions/{w.session['id']}/help", {}, 201)
    # a raised hand and a room message show in the "Speaker queue" and "Chat" regions
    jonas = await ws_connect(server, w.session["id"], w.token("p3"))
    await jonas.next()
    async with Api(server.url, w.token("p3")) as p3:
        await p3.ok("POST", f"/api/sessions/{w.session['id']}/hands", {"language": "ar"}, 201)
        await p3.ok(
            "POST", f"/api/sessions/{w.session['id']}/messages", {"text": "Hi", "to": "room"}, 201
        )
    pages = {"landing": None, "no link": None}
    for key in ("mod", "obs", "ar1", "p1", "p2"):
        pages[key] = w.token(key)
    found = {}
    for name, token in pages.items():
        page = await open_page(browser, server, token, axe=True)
        if name == "landing":
            await page.goto(server.url + "/")
        elif name == "no link":
            await expect(page.get_by_role("alert")).to_be_visible(timeout=WAIT)
        else:
            await expect(page.locator("main section").first).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("heading", level=1)).to_have_text("Kick-off plenary")
            await expect(page.locator("li.hand")).to_have_count(1, timeout=WAIT)
            await expect(page.locator("li.chat-message")).to_have_count(1, timeout=WAIT)
        found[name] = await axe_violations(page)
        await page.context.close()
    await jonas.close()
    assert found == {name: [] for name in pages}


async def tab_to(page, target, limit: int = 120) -> None:
    """Press Tab until ``target`` has the focus (the keyboard's only way there)."""
    for _ in range(limit):
        if await target.evaluate("el => el === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


async def test_a_moderator_runs_a_round_with_the_keyboard_alone(browser, server):  # noqa: F811
    w = await make_world(server, status="lobby")
    page = await open_page(browser, server, w.token("mod"))
    status = page.get_by_role("status").filter(has_text="Session status")
    await expect(status).to_have_text("Session status: Lobby open", timeout=WAIT)
    key = page.keyboard

    await tab_to(page, page.get_by_role("button", name="Go live"))
    await key.press("Enter")
    await expect(status).to_have_text("Session status: Live", timeout=WAIT)

    bo = page.get_by_role("region", name="Breakouts")
    await tab_to(page, bo.get_by_role("combobox", name="Strategy"))
    await tab_to(page, bo.get_by_role("textbox", name="Room names"))
    await key.type("Digital divide\nDigital literacy")
    await tab_to(page, bo.get_by_role("combobox", name="Languages of Digital divide"))
    await key.press("ArrowDown")  # Arabic
    await expect(bo.get_by_role("combobox", name="Languages of Digital divide")).to_have_value("ar")
    await tab_to(page, bo.get_by_role("spinbutton", name="Duration (minutes)"))
    await key.press("Control+a")
    await key.type("20")
    await tab_to(page, bo.get_by_role("button", name="Create round"))
    await key.press("Enter")
    await expect(bo.get_by_text("Digital literacy:")).to_be_visible(timeout=WAIT)

    await tab_to(page, bo.get_by_role("button", name="Open round"))
    await key.press("Enter")
    rooms = page.get_by_role("region", name="Rooms")
    await expect(rooms.get_by_role("listitem", name="Digital divide")).to_be_visible(timeout=WAIT)
    timer = page.get_by_role("region", name="My room").get_by_role("timer")
    await expect(timer).to_contain_text("19:", timeout=WAIT)

    move = rooms.get_by_role("combobox", name="Move Mona Moderator")
    await tab_to(page, move)
    await key.press("ArrowDown")  # Plenary -> Digital divide: she joins that room
    divide = rooms.get_by_role("listitem", name="Digital divide")
    await expect(divide.get_by_text("Mona Moderator", exact=True)).to_be_visible(timeout=WAIT)
    await expect(rooms.get_by_role("combobox", name="Move Mona Moderator")).to_be_focused()

    await tab_to(page, bo.get_by_role("button", name="Close round"))
    await key.press("Enter")
    await expect(page.get_by_text("Closing: back to the plenary in")).to_be_visible(timeout=WAIT)
    await tab_to(page, bo.get_by_role("button", name="Cancel closing"))
    await key.press("Enter")
    await expect(timer).to_contain_text("19:", timeout=WAIT)
    assert page.errors == []
    await page.context.close()
