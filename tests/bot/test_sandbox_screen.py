"""The sandbox page as people see it: on a phone, after a restart, and when replies arrive."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.i18n import gettext
from bot.sandbox.server import Sandbox, running_sandbox
from tests.bot.test_sandbox import ARTIFACTS, browser_page, sandbox_settings

__all__ = ["browser_page"]  # the fixture, shared with the other sandbox tests

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
VIOLENCE = "my husband hits me and says he will kill me tonight"
RENT = "pengarna racker inte till hyran"

# Every visible button whose words are wider than the button itself.
SPILLING_BUTTONS = """
() => [...document.querySelectorAll("button, a.kb-button, [role=tab]")]
  .filter((node) => node.getClientRects().length > 0 && getComputedStyle(node).visibility !== "hidden")
  .filter((node) => node.scrollWidth > node.clientWidth)
  .map((node) => ({ text: node.textContent.trim(), scrollWidth: node.scrollWidth,
    clientWidth: node.clientWidth }))
"""

# Where a pane, its chat and its composer are, against the screen.
PANE_ON_SCREEN = """
(pane) => {
  const box = pane.getBoundingClientRect();
  const log = pane.querySelector(".log").getBoundingClientRect();
  const composer = pane.querySelector(".composer").getBoundingClientRect();
  return {
    top: box.top, bottom: box.bottom, logHeight: log.height, composerBottom: composer.bottom,
    screen: window.innerHeight, page: document.scrollingElement.scrollHeight,
  };
}
"""

# Whether a node's first line (and the first "112" in it) is inside the chat's visible area.
FIRST_LINE_IN_SIGHT = """
(bubble) => {
  const log = bubble.closest(".log");
  const area = log.getBoundingClientRect();
  const box = bubble.getBoundingClientRect();
  const walker = document.createTreeWalker(bubble.querySelector(".text"), NodeFilter.SHOW_TEXT);
  let emergency = null;
  while (walker.nextNode()) {
    const at = walker.currentNode.data.indexOf("112");
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(walker.currentNode, at);
      range.setEnd(walker.currentNode, at + 3);
      emergency = range.getBoundingClientRect();
      break;
    }
  }
  return {
    taller: box.height > log.clientHeight,
    topInSight: box.top >= area.top - 1 && box.top < area.bottom,
    emergencyInSight: emergency !== null && emergency.top >= area.top - 1
      && emergency.bottom <= area.bottom + 1,
  };
}
"""


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(sandbox_settings(tmp_path)) as running:
        yield running


async def open_page(page: Any, url: str) -> None:
    from playwright.async_api import expect

    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")


async def new_resident(page: Any, name: str, language: str) -> Any:
    from playwright.async_api import expect

    resident = page.locator("#resident-pane")
    if not await resident.get_by_label("First name").is_visible():
        await resident.get_by_role("button", name="New resident").click()
    await resident.get_by_label("First name").fill(name)
    await resident.get_by_label("Telegram language").select_option(language)
    await resident.get_by_role("button", name="Create and chat").click()
    box = resident.get_by_role("textbox", name=f"Message to Nära as {name}")
    await expect(box).to_be_focused()
    # The new chat is on screen (empty) before anything is counted in it.
    await expect(resident.locator(".log .empty")).to_be_visible()
    return box


async def say(page: Any, box: Any, text: str, answer: str) -> Any:
    """Send ``text`` and return the bot's message that contains ``answer``."""
    from playwright.async_api import expect

    before = await page.locator("#resident-pane .msg.in").count()
    await box.fill(text)
    await box.press("Enter")
    replies = page.locator("#resident-pane .msg.in")
    await expect(replies.nth(before)).to_be_visible()
    reply = replies.filter(has_text=answer).last
    await expect(reply).to_be_visible()
    return reply


@pytest.mark.browser
async def test_a_reply_to_a_button_on_an_older_card_shows_a_new_message_marker(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    await page.set_viewport_size(DESKTOP)
    await open_page(page, sandbox.url)
    box = await new_resident(page, "Olle", "sv")
    card = await say(page, box, "/services", gettext("Choose a topic:", "sv"))
    money = gettext("Money", "sv")
    await expect(card.get_by_role("button", name=money)).to_be_visible()
    for _ in range(3):
        await say(page, box, "/help", "/services")
    log = page.locator("#resident-pane .log")
    marker = page.locator("#resident-pane .new-marker")
    await expect(marker).to_be_hidden()

    # Back up to the card, and press a button on it: the answer lands below, out of sight.
    await card.scroll_into_view_if_needed()
    below = await log.evaluate("(log) => log.scrollHeight - log.scrollTop - log.clientHeight")
    assert below > 200, "the card must be well above the end of the chat"
    answers = await page.locator("#resident-pane .msg.in").count()
    where = await log.evaluate("(log) => log.scrollTop")
    await card.get_by_role("button", name=money).click()
    answer = page.locator("#resident-pane .msg.in").nth(answers)
    await expect(answer).to_be_attached()
    await expect(marker).to_be_visible()
    await expect(marker).to_have_text("New message ↓")
    assert await log.evaluate("(log) => log.scrollTop") == where, "the chat did not jump"
    in_sight = await answer.locator(".bubble").evaluate(FIRST_LINE_IN_SIGHT)
    assert not in_sight["topInSight"]

    await marker.click()
    await expect(marker).to_be_hidden()
    in_sight = await answer.locator(".bubble").evaluate(FIRST_LINE_IN_SIGHT)
    assert in_sight["topInSight"], in_sight
    assert page.errors == []


@pytest.mark.browser
async def test_after_a_restart_the_page_shows_it_is_away_and_is_back_within_two_seconds(
    tmp_path: Path, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    body = page.locator("body")
    dot = page.locator(".local-note .dot")
    settings = sandbox_settings(tmp_path)
    # The page's timers run on a clock only the test moves: "two seconds" is counted on it.
    await page.clock.install()
    async with running_sandbox(settings) as first:
        await open_page(page, first.url)
        await page.clock.pause_at(await page.evaluate("Date.now()") + 1000)
        await expect(body).to_have_attribute("data-connection", "ok")
        green = await dot.evaluate("(node) => getComputedStyle(node).backgroundColor")
        box = await new_resident(page, "Amal", "sv")
        await say(page, box, "/start", "112")

    # The sandbox is gone: the dot turns red, and nothing says "Failed to fetch".
    await expect(body).to_have_attribute("data-connection", "away")
    await expect(body).to_have_attribute("data-failed-tries", "1")
    red = await dot.evaluate("(node) => getComputedStyle(node).backgroundColor")
    assert red != green and red.startswith("rgb(198, 40, 40"), (green, red)
    await expect(page.locator("#connection")).to_contain_text("trying again")
    # It keeps trying, a second apart at most, for as long as the sandbox is away.
    for tries in range(2, 6):
        await page.clock.run_for(1000)
        await expect(body).to_have_attribute("data-failed-tries", str(tries))
    await box.fill("hej, är ni där?")
    await box.press("Enter")
    await expect(page.locator("#alerts")).to_contain_text("not answering")
    await expect(body).to_have_attribute("data-connection", "away")
    assert "Failed to fetch" not in await body.inner_text()
    assert "Failed to fetch" not in await page.content()

    async with running_sandbox(settings) as second:
        assert second.url == first.url and second.instance != first.instance
        # Two seconds after the sandbox is back, the page is too: a new sandbox, so it loads
        # afresh, and works.
        await page.clock.run_for(2000)
        await expect(body).to_have_attribute("data-connection", "ok")
        await expect(body).to_have_attribute("data-ready", "true")
        await page.clock.resume()
        assert await dot.evaluate("(node) => getComputedStyle(node).backgroundColor") == green
        box = await new_resident(page, "Ali", "sv")
        await say(page, box, "/start", "112")
        assert "Failed to fetch" not in await page.content()
    assert page.errors == []


@pytest.mark.browser
async def test_on_a_phone_the_chat_fills_the_screen_and_the_staff_pane_is_a_tab(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    await page.set_viewport_size(PHONE)
    await open_page(page, sandbox.url)
    views = page.get_by_role("tablist", name="Sandbox views")
    resident_tab = views.get_by_role("tab", name="Resident")
    staff_tab = views.get_by_role("tab", name="Staff")
    await expect(resident_tab).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#staff-pane")).to_be_hidden()
    box = await new_resident(page, "Amal", "sv")
    await say(page, box, "/start", "112")

    for pane in ("#resident-pane", "#staff-pane"):
        if pane == "#staff-pane":
            await staff_tab.click()
            await expect(staff_tab).to_have_attribute("aria-selected", "true")
            await expect(page.locator("#resident-pane")).to_be_hidden()
        where = await page.locator(pane).evaluate(PANE_ON_SCREEN)
        assert where["page"] <= where["screen"], where  # nothing to scroll: it is the screen
        assert abs(where["bottom"] - where["screen"]) <= 1, where
        assert where["composerBottom"] <= where["screen"], where
        assert where["logHeight"] >= 0.4 * where["screen"], where
    group_tab = page.locator("#staff-pane").get_by_role("tab", name="Socialtjänsten – ärenden")
    await expect(group_tab).to_be_visible()

    # Something new in the staff group while the resident's chat is shown: the tab says so.
    await resident_tab.click()
    await say(page, box, "jag orkar inte leva längre, jag vill försvinna för alltid", "90101")
    await expect(staff_tab).to_contain_text("new", use_inner_text=True)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-phone.png"))
    await staff_tab.click()
    await expect(staff_tab).not_to_contain_text("new", use_inner_text=True)
    await expect(page.locator("#staff-pane .msg.in").filter(has_text="🔴").first).to_be_visible()
    assert await page.evaluate(SPILLING_BUTTONS) == []
    assert page.errors == []


@pytest.mark.browser
async def test_on_a_phone_a_long_reply_shows_its_first_line_where_112_is(
    sandbox: Sandbox, browser_page: Any
) -> None:
    page = browser_page
    await page.set_viewport_size(PHONE)
    await open_page(page, sandbox.url)
    box = await new_resident(page, "Omar", "ar")
    reply = await say(page, box, VIOLENCE, "020-50 50 50")
    seen = await reply.locator(".bubble").evaluate(FIRST_LINE_IN_SIGHT)
    assert seen["taller"], "the reply must be taller than the chat for this to mean anything"
    assert seen["topInSight"] and seen["emergencyInSight"], seen
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize(
    "screen", [PHONE, SMALL_PHONE, DESKTOP], ids=["phone", "small-phone", "desktop"]
)
async def test_no_button_text_spills_out_of_its_button(
    sandbox: Sandbox, browser_page: Any, screen: dict[str, int]
) -> None:
    from playwright.async_api import expect

    page = browser_page
    await page.set_viewport_size(screen)
    await open_page(page, sandbox.url)
    # Cards, the life situations of /services (long Swedish names) and the language list.
    for name, language, question in (
        ("Olle", "sv", RENT),
        ("Amal", "ar", "ما عندي فلوس للإيجار هذا الشهر، ماذا أفعل؟"),
        ("Hodan", "so", "lacag kuma filna kirada, maxaan sameeyaa?"),
        ("Ali", "fa", "پول کرایه خانه را ندارم، چه کنم؟"),
    ):
        box = await new_resident(page, name, language)
        for text in (question, "/services", "/language"):
            answers = page.locator("#resident-pane .msg.in")
            before = await answers.count()
            await box.fill(text)
            await box.press("Enter")
            await expect(answers.nth(before)).to_be_visible()
            await expect(answers.last.locator(".inline-keyboard")).to_be_visible()
        assert await page.evaluate(SPILLING_BUTTONS) == [], (name, screen)
    if screen["width"] <= 700:  # one pane at a time
        await page.get_by_role("tab", name="Staff").click()
    staff = page.locator("#staff-pane")
    await staff.get_by_role("tab", name="Private chat with Nära").click()
    await expect(staff.get_by_role("tab", name="Private chat with Nära")).to_have_attribute(
        "aria-selected", "true"
    )
    assert await page.evaluate(SPILLING_BUTTONS) == [], screen
    assert page.errors == []
