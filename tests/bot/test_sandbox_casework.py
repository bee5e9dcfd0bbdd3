"""The sandbox as a caseworker uses it: an Arabic question, an urgent case, Claim and answer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.i18n import gettext
from bot.sandbox.server import Sandbox, running_sandbox
from tests.bot.test_sandbox import ARTIFACTS, browser_page, sandbox_settings

__all__ = ["browser_page"]  # the fixture, shared with the other sandbox tests


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(sandbox_settings(tmp_path)) as running:
        yield running


async def new_resident(page: Any, name: str, language: str) -> Any:
    resident = page.locator("#resident-pane")
    if not await resident.get_by_label("First name").is_visible():
        await resident.get_by_role("button", name="New resident").click()
    await resident.get_by_label("First name").fill(name)
    await resident.get_by_label("Telegram language").select_option(language)
    await resident.get_by_role("button", name="Create and chat").click()
    return resident.get_by_role("textbox", name=f"Message to Nära as {name}")


@pytest.mark.browser
async def test_an_arabic_question_gets_arabic_cards_with_working_buttons(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    box = await new_resident(page, "Amal", "ar")
    await box.fill("ما عندي فلوس للإيجار هذا الشهر، ماذا أفعل؟")
    await box.press("Enter")
    resident = page.locator("#resident-pane")
    title = sandbox.nara.catalogue["financial-aid"].title["ar"]
    card = resident.locator(".msg.in").filter(has_text=title).first
    await expect(card).to_be_visible()
    more = gettext("Tell me more", "ar")
    await card.get_by_role("button", name=more).click()
    sentence = sandbox.nara.catalogue["financial-aid"].description["ar"].split(".")[0]
    await expect(resident.locator(".msg.in .bubble").filter(has_text=sentence[:25]).first).to_be_visible()
    reach = gettext("How do I get in touch?", "ar")
    await resident.locator(".msg.in").last.get_by_role("button", name=reach).click()
    await expect(resident.locator(".msg.in .bubble").filter(has_text="08-465 004 00").first).to_be_visible()
    assert page.errors == []


@pytest.mark.browser
async def test_a_caseworker_claims_an_urgent_case_and_answers_in_the_browser(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        await page.goto(sandbox.url)
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        box = await new_resident(page, "Noor", "sv")
        await box.fill("jag orkar inte leva längre")
        await box.press("Enter")
        resident = page.locator("#resident-pane")
        await expect(resident.locator(".msg.in .bubble").filter(has_text="90101").first).to_be_visible()

        staff = page.locator("#staff-pane")
        await staff.get_by_label("You are").select_option(str(sandbox.staff_ids["Sara"]))
        notification = staff.locator(".msg.in").filter(has_text="🔴").first
        await expect(notification).to_be_visible()
        claim = gettext("Claim", "sv")
        await notification.get_by_role("button", name=claim).click()
        told = gettext("{name} from social services has your case now. {name} will write to you here.", "sv")
        await expect(resident.locator(".msg.in .bubble").filter(has_text=told.format(name="Sara")[:20]).first).to_be_visible()

        await notification.get_by_role("button", name=re.compile("^Reply to")).click()
        sara_box = staff.get_by_role("textbox", name="Message to the staff group as Sara")
        await sara_box.fill("Hej Noor, jag heter Sara. Är du säker just nu?")
        await sara_box.press("Enter")
        await expect(resident.locator(".msg.in .bubble").filter(has_text="Är du säker just nu?")).to_be_visible()
        assert page.errors == []
        await page.set_viewport_size({"width": 1440, "height": 1024})
        await page.screenshot(path=str(ARTIFACTS / "sandbox-casework.png"))
    except BaseException:
        await page.screenshot(path=str(ARTIFACTS / "sandbox-casework-failure.png"))
        raise
    assert (ARTIFACTS / "sandbox-casework.png").stat().st_size > 30_000
