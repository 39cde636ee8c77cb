"""The issue's "done when": ``convene demo``, then its printed console links give a
moderator, an interpreter and a participant who run the kick-off together: live, the
working groups opened, the Arabic booth on air, help asked and claimed, and everyone
back in the plenary."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.support.browser import browser, open_page  # noqa: F401

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]

CONVENE = Path(sys.executable).with_name("convene")
WAIT = 20_000
GROUPS = {
    "Digital divide",
    "Digital literacy",
    "Public service design optimisation",
    "Digitalisation of municipal services",
    "City Lab collaborations",
}


async def demo_links(server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    proc = await asyncio.create_subprocess_exec(
        str(CONVENE),
        *("demo", "--url", server.url, "--token", server.admin_token),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    pattern = r"^(\w+): .*\n(?:\s+\w+\s+\S+\n)*?\s+console\s+(\S+)$"
    return dict(re.findall(pattern, out.decode(), re.M))


async def open_link(browser, server, link: str):  # noqa: F811
    return await open_page(browser, server, link.split("#token=", 1)[1])


async def test_the_demo_kickoff_runs_in_the_browser(browser, server):  # noqa: F811
    links = await demo_links(server)
    katrin = await open_link(browser, server, links["moderator"])
    rania = await open_link(browser, server, links["interpreter"])  # Arabic interface
    nino = await open_link(browser, server, links["participant"])
    nino_room = nino.get_by_role("region", name="My room").get_by_role("heading", level=2)
    await expect(nino_room).to_have_text("Plenary", timeout=WAIT)

    await katrin.get_by_role("button", name="Go live").click()
    await expect(nino.get_by_role("status").filter(has_text="Session status")).to_have_text(
        "Session status: Live", timeout=WAIT
    )
    booth = rania.get_by_role("region", name="المقصورة")  # "Booth"
    await booth.get_by_role("combobox", name="القناة").select_option("ar")
    await booth.get_by_role("button", name="ابدأ البث").click()  # "Go on air"
    await expect(rania.get_by_role("status").filter(has_text="على الهواء")).to_be_visible(
        timeout=WAIT
    )

    bo = katrin.get_by_role("region", name="Breakouts")
    await bo.get_by_role("combobox", name="Strategy").select_option("working_groups")
    names = bo.get_by_role("textbox", name="Room names")
    assert set((await names.input_value()).splitlines()) == GROUPS  # from people's groups
    await bo.get_by_role("spinbutton", name="Closing countdown (seconds)").fill("1")
    await bo.get_by_role("button", name="Create round").click()
    await expect(bo.get_by_text("City Lab collaborations:")).to_be_visible(timeout=WAIT)
    await bo.get_by_role("button", name="Open round").click()
    await expect(nino_room).to_have_text(re.compile("|".join(GROUPS)), timeout=WAIT)
    group = await nino_room.inner_text()

    await nino.get_by_role("button", name="Ask for help").click()
    help_list = katrin.get_by_role("region", name="Help requests")
    request = help_list.get_by_role("listitem").filter(has_text=f"Nino Beridze in {group}")
    await request.get_by_role("button", name="Claim").click(timeout=WAIT)
    await expect(request).to_contain_text("(claimed)", timeout=WAIT)

    await bo.get_by_role("button", name="Close round").click()
    await expect(nino_room).to_have_text("Plenary", timeout=WAIT)
    for page in (katrin, rania, nino):
        assert page.errors == []
        await page.context.close()
