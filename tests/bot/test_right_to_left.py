"""Arabic and Dari over real HTTP: every number reads the way it is dialled.

The real bot answers residents whose Telegram is in Arabic or Dari; each line it sends is
laid out with the Unicode bidi algorithm (python-bidi, each line taking its direction from its
first strong letter) and every helpline number must show its groups in order: ``020-50 50
50``, never ``50 50 020-50``. The office is closed in this test (a Saturday), so the safety
reply names the after-hours line too, and the reminder of an unclaimed case is checked as
well. In Chromium, the sandbox's safety reply is measured both ways: one direction for the
whole message (as the page and Telegram Web show it) and one per line.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pytest
from bidi import get_base_level, get_display

from bot.app.runtime import Nara
from bot.core.i18n import gettext
from bot.sandbox.server import Sandbox, running_sandbox
from flows.bidi import NO_BREAK_SPACE, as_seen
from flows.helplines import Helplines
from storage import casework, queries
from tests.bot.harness import LocalTelegram, MovableClock, bot_settings, register_staff, running_bot
from tests.bot.test_sandbox import ARTIFACTS, browser_page, sandbox_settings
from tgserver import SandboxClient
from tgserver.client import SandboxGroup

URGENT = {
    "violence": "my husband hits me and says he will kill me tonight",
    "self-harm": "jag orkar inte leva längre, jag vill försvinna för alltid",
    "homeless-tonight": "I have nowhere to sleep tonight, I am on the street with my kids",
    "child-at-risk": "my little brother is home alone and dad hit him, he is 6",
}
RIGHT_TO_LEFT_LETTER = re.compile("[\u0590-\u08ff]")

__all__ = ["browser_page"]  # the fixture, shared with the other sandbox tests


def saturday_noon_in(zone: tzinfo) -> timedelta:
    """How far to move the clock so that it is next Saturday at noon, local time."""
    now = datetime.now().astimezone(zone)
    days = (5 - now.weekday()) % 7 or 7
    target = (now + timedelta(days=days)).replace(hour=12, minute=0, second=0, microsecond=0)
    return target - now


def assert_numbers_read_in_order(text: str, numbers: list[str], where: str) -> None:
    """Each number shows its groups in order on every line it is on; RTL lines stay RTL."""
    for number in numbers:
        lines = [line for line in text.split("\n") if number in as_seen(line)]
        assert lines, f"{where}: {number} is missing from {text!r}"
        for line in lines:
            shown = as_seen(get_display(line))
            assert number in shown, f"{where}: {number} shows as {shown!r}"
            if " " in number:
                # Kept whole: no-break spaces, so a narrow screen never splits it.
                assert number.replace(" ", NO_BREAK_SPACE) in line, where
    for line in text.split("\n"):
        if RIGHT_TO_LEFT_LETTER.search(line):
            assert get_base_level(line) == 1, f"{where}: {line!r} lays out left to right"


def helpline_numbers_in(text: str, helplines: Helplines) -> list[str]:
    return [h.number for h in helplines.by_id.values() if h.number in as_seen(text)]


@pytest.fixture
async def closed_office(
    telegram: LocalTelegram, tg: SandboxClient, tmp_path: object
) -> AsyncIterator[tuple[Nara, SandboxGroup, MovableClock]]:
    sara = await tg.add_user("Sara", language_code="sv")
    group = await tg.add_group("Socialtjänsten – ärenden", [sara])
    clock = MovableClock()
    settings = bot_settings(
        telegram.url, f"sqlite+aiosqlite:///{tmp_path}/nara.db", staff_chat_id=group.id
    )
    clock.advance(saturday_noon_in(settings.zone))
    async with running_bot(settings, clock=clock) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"))
        yield nara, group, clock


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
async def test_safety_replies_and_reminders_show_every_helpline_number_in_order(
    closed_office: tuple[Nara, SandboxGroup, MovableClock], tg: SandboxClient, locale: str
) -> None:
    nara, group, clock = closed_office
    helplines = nara.helplines
    after_hours = helplines.by_id["socialjouren"].number
    language_code = "fa" if locale == "fa_AF" else locale
    residents = []
    for category, words in URGENT.items():
        person = await tg.add_user(f"Resident {category}", language_code=language_code)
        await person.say(words)
        safety = await person.next_message()
        assert safety.text is not None
        async with nara.db.session() as session:
            resident = await queries.find_resident(session, person.id)
            assert resident is not None and resident.locale == locale
            case = await casework.active_case(session, resident.id)
        assert case is not None, (locale, category)
        expected = [h.number for h in helplines.numbers_for(case.category)]
        shown = helpline_numbers_in(safety.text, helplines)
        assert set(expected) <= set(shown), (locale, category, shown)
        assert after_hours in shown, "the office is closed: the after-hours line is named"
        assert_numbers_read_in_order(safety.text, shown, f"{locale} {category}")
        residents.append(person)

    # Unclaimed: the case is escalated, then the resident is reminded of the numbers.
    clock.advance(timedelta(minutes=nara.settings.escalation_minutes + 1))
    escalated = 0
    while escalated < len(residents):
        if "⚠️" in ((await group.next_message()).text or ""):
            escalated += 1
    clock.advance(timedelta(minutes=nara.settings.escalation_minutes + 1))
    for person in residents:
        # Some safety replies are followed by a card of the support that helps; then comes
        # the reminder, with 112 and the after-hours line.
        shown: list[str] = []
        while after_hours not in shown:
            message = await person.next_message()
            assert message.text is not None
            shown = helpline_numbers_in(message.text, helplines)
            assert_numbers_read_in_order(message.text, shown, f"{locale} after the reply")
        assert "112" in shown


async def test_the_contact_card_in_arabic_shows_its_number_and_hours_in_order(
    nara: Nara, tg: SandboxClient
) -> None:
    amal = await tg.add_user("Amal", language_code="ar")
    await amal.say("ما عندي فلوس للإيجار هذا الشهر، ماذا أفعل؟")
    card = await amal.next_message()
    await amal.press(card.button_texts[0], message=card)  # "Tell me more"
    details = await amal.next_message()
    await amal.press(card.button_texts[1], message=details)  # "How do I get in touch?"
    contact = await amal.next_message()
    assert contact.text is not None
    service = nara.catalogue["financial-aid"]
    assert service.contact is not None and service.contact.phone is not None
    assert_numbers_read_in_order(contact.text, [service.contact.phone, "112"], "ar contact")
    times = re.findall(r"\d\d:\d\d–\d\d:\d\d", as_seen(contact.text))
    assert times, contact.text
    assert_numbers_read_in_order(contact.text, times, "ar opening hours")


# Where Chromium draws each run of digits of each number: left edge, line, in logical order.
DIGIT_RUNS = """
([text, numbers]) => {
  const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let all = "";
  while (walker.nextNode()) {
    nodes.push([walker.currentNode, all.length]);
    all += walker.currentNode.data;
  }
  const at = (index) => {
    for (let i = nodes.length - 1; i >= 0; i -= 1) {
      if (nodes[i][1] <= index) return [nodes[i][0], index - nodes[i][1]];
    }
    return null;
  };
  const found = {};
  for (const number of numbers) {
    // Spaces or no-break spaces: a number written either way is found, then measured.
    const pattern = number.replaceAll("+", "[+]").replaceAll(" ", "[ \u00a0]");
    const match = new RegExp(pattern).exec(all);
    if (!match) { found[number] = null; continue; }
    const [written, start] = [match[0], match.index];
    const runs = [];
    for (const run of written.matchAll(/[0-9]+/g)) {
      const [from, fromOffset] = at(start + run.index);
      const [to, toOffset] = at(start + run.index + run[0].length - 1);
      const range = document.createRange();
      range.setStart(from, fromOffset);
      range.setEnd(to, toOffset + 1);
      const rects = [...range.getClientRects()].filter((rect) => rect.width > 0);
      runs.push({ digits: run[0], left: Math.min(...rects.map((r) => r.left)),
        top: Math.min(...rects.map((r) => r.top)), lines: rects.length });
    }
    found[number] = runs;
  }
  return found;
}
"""


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(sandbox_settings(tmp_path)) as running:
        yield running


@pytest.mark.browser
async def test_the_safety_reply_in_arabic_and_dari_shows_numbers_in_order_in_chromium(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    await page.set_viewport_size({"width": 1280, "height": 1200})
    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    resident = page.locator("#resident-pane")
    helplines = sandbox.nara.helplines
    for locale, language_code in (("ar", "ar"), ("fa_AF", "fa")):
        if not await resident.get_by_label("First name").is_visible():
            await resident.get_by_role("button", name="New resident").click()
        await resident.get_by_label("First name").fill(f"Resident {locale}")
        await resident.get_by_label("Telegram language").select_option(language_code)
        await resident.get_by_role("button", name="Create and chat").click()
        box = resident.get_by_role("textbox", name=f"Message to Nära as Resident {locale}")
        await box.fill(URGENT["violence"])
        await box.press("Enter")
        bubble = resident.locator(".msg.in .bubble").filter(has_text="020-50 50 50").last
        await expect(bubble).to_be_visible()
        text = as_seen(await bubble.locator(".text").inner_text())
        assert gettext("If you or someone else is in danger now, call 112.", locale) in text
        numbers = [h.number for h in helplines.by_id.values() if h.number in text]
        assert "020-50 50 50" in numbers and "114 14" in numbers, numbers

        shot = ARTIFACTS / f"rtl-safety-reply-{locale}.png"
        await bubble.scroll_into_view_if_needed()
        await page.mouse.move(0, 0)
        await bubble.screenshot(path=str(shot))
        print(f"screenshot of the {locale} safety reply: {shot}")
        assert shot.stat().st_size > 10_000, "a blank bubble compresses to almost nothing"

        assert await bubble.evaluate("(node) => getComputedStyle(node).direction") == "rtl"
        # As the page shows it (one direction for the whole message, as Telegram Web does),
        # then with each line taking its own direction from its first strong letter.
        for bidi in ("normal", "plaintext"):
            runs = await bubble.evaluate(
                f"(node) => {{ node.querySelector('.text').style.unicodeBidi = '{bidi}';"
                f" return ({DIGIT_RUNS})([node.querySelector('.text'), {numbers!r}]); }}"
            )
            for number in numbers:
                placed = runs[number]
                where = (locale, bidi, number, placed)
                assert placed, f"{locale}: {number} is not in the bubble's text"
                # One line, never broken; the runs of digits left to right as they are dialled.
                assert all(run["lines"] == 1 for run in placed), where
                assert len({round(run["top"]) for run in placed}) == 1, where
                lefts = [run["left"] for run in placed]
                assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts), where
    assert page.errors == []
