"""The console's "Speaker queue" and "Chat" regions in a real Chromium against a real
``convene serve`` (shared/spec/console.md): a hand raised in Arabic warns the booth
and changes the floor when called; booth chat stays in the booth; room chat reaches
the room, as text."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.support.browser import browser, open_page  # noqa: F401
from tests.support.client import make_world

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

WAIT = 20_000  # ms: a loaded 2-core machine


def region(page, name: str):
    return page.get_by_role("region", name=name, exact=True)


async def test_a_hand_in_arabic_warns_the_booth_and_takes_the_floor(browser, server):  # noqa: F811
    w = await make_world(server)
    jonas = await open_page(browser, server, w.token("p3"))
    amal = await open_page(browser, server, w.token("ar1"))
    mod = await open_page(browser, server, w.token("mod"))
    booth = region(amal, "Booth")
    await expect(booth.get_by_text("Floor language: English")).to_be_visible(timeout=WAIT)

    mine = region(jonas, "Speaker queue")
    await mine.get_by_role("combobox", name="Language I will speak").select_option(
        "ar", timeout=WAIT
    )
    await mine.get_by_role("button", name="Raise hand", exact=True).click()
    await expect(mine.get_by_role("button", name="Lower hand", exact=True)).to_be_visible(
        timeout=WAIT
    )

    upcoming = booth.get_by_role("alert").filter(has_text="Next speaker uses Arabic")
    await expect(upcoming).to_be_visible(timeout=WAIT)
    hand = region(mod, "Speaker queue").get_by_role("listitem").filter(has_text="Jonas Weber")
    await expect(hand).to_contain_text("Arabic", timeout=WAIT)
    await hand.get_by_role("button", name="Give the floor", exact=True).click()

    await expect(booth.get_by_text("Floor language: Arabic")).to_be_visible(timeout=WAIT)
    await expect(upcoming).to_have_count(0)  # floor.upcoming with language null
    await expect(mine.get_by_role("status")).to_have_text("You have the floor", timeout=WAIT)
    await expect(mine.get_by_role("button", name="Raise hand", exact=True)).to_be_visible()
    await expect(region(mod, "Speaker queue").get_by_role("listitem")).to_have_count(0)
    for page in (jonas, amal, mod):
        assert page.errors == []
        await page.context.close()


async def test_booth_chat_stays_in_the_booth_and_room_chat_reaches_the_room(browser, server):  # noqa: F811
    w = await make_world(server)
    evil = "<img src=x onerror=alert(1)>"
    amal = await open_page(browser, server, w.token("ar1"))
    omar = await open_page(browser, server, w.token("ar2"))
    jonas = await open_page(browser, server, w.token("p3"))
    rami = await open_page(browser, server, w.token("p2"), ui_language="en")

    async def say(page, to: str, text: str) -> None:
        chat = region(page, "Chat")
        await chat.get_by_role("combobox", name="To", exact=True).select_option(
            label=to, timeout=WAIT
        )
        await chat.get_by_role("textbox", name="Chat message").fill(text)
        await chat.get_by_role("button", name="Send", exact=True).click()
        await expect(chat.get_by_role("textbox", name="Chat message")).to_have_value("")

    await say(amal, "Booth", "I take over at 10:30")
    await expect(region(omar, "Chat").get_by_text("I take over at 10:30")).to_be_visible(
        timeout=WAIT
    )
    await say(jonas, "My room", evil)
    for page in (rami, amal):
        await expect(region(page, "Chat").get_by_text(evil, exact=True)).to_be_visible(timeout=WAIT)
    # the room message came after the booth one: the participants never got it
    for page in (jonas, rami):
        await expect(region(page, "Chat").get_by_text("I take over")).to_have_count(0)
    for page in (amal, omar, jonas, rami):
        assert await page.locator("img").count() == 0
        assert page.errors == []  # no alert() dialog, no script error
        await page.context.close()
