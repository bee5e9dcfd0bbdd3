"""The sandbox as issue 10 asks: staff offer check-ins, and the bot's clock moves weeks in a click.

In Chromium: Sara offers a plan from the staff pane, the resident says yes and picks the
morning, "+1 week" is pressed until the first check-in arrives, and the resident answers
with a face. Over HTTP: the clock endpoint refuses bad input with a clear message and only
moves forward, and the offer endpoint says "offered" or why not. The bot's clock starts at
08:30 on a Monday in Stockholm, so the first check-in (09:00 a week after consent) needs
exactly two weeks of clicks: one week is half an hour short.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select

from bot.core.i18n import gettext
from bot.sandbox.clock import MOST_MINUTES
from bot.sandbox.server import Sandbox, running_sandbox
from flows.checkins import CANNOT_OFFER, FACE_LABELS, Plan
from storage import queries
from storage.models import CheckinAnswer, CheckinPlan
from tests.bot.harness import MovableClock
from tests.bot.test_sandbox import ARTIFACTS, browser_page, sandbox_settings
from tests.bot.test_sandbox_casework import new_resident
from tests.bot.test_sandbox_screen import PHONE, SPILLING_BUTTONS
from tgserver import SandboxClient

__all__ = ["browser_page"]  # the fixture, shared with the other sandbox tests

ZONE = ZoneInfo("Europe/Stockholm")
# A Monday that is no Swedish public holiday, after the quiet hours (21:00-08:00).
MONDAY = datetime(2027, 3, 8, 8, 30, tzinfo=ZONE)
PLAN = "after-support"  # first check-in one week after consent
WEEK = 7 * 24 * 60


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    start = MovableClock()
    start.advance(MONDAY.astimezone(UTC) - start())
    async with running_sandbox(sandbox_settings(tmp_path), clock=start) as running:
        yield running


def _plan(sandbox: Sandbox) -> Plan:
    plan = sandbox.settings.checkin_plans().get(PLAN)
    assert plan is not None
    return plan


def _title(sandbox: Sandbox, locale: str) -> str:
    return _plan(sandbox).title[locale]


# -- over HTTP -----------------------------------------------------------------------------------


async def test_the_clock_only_moves_forward_and_bad_input_is_told_what_is_wrong(
    sandbox: Sandbox,
) -> None:
    clock_url = f"{sandbox.url}sandbox/clock"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}sandbox/info") as response:
            shown = (await response.json())["clock"]
        assert shown["timezone"] == "Europe/Stockholm"
        assert shown["ahead_minutes"] == 0
        started = datetime.fromisoformat(shown["now"])
        assert started.utcoffset() == MONDAY.utcoffset(), "shown in NARA_TIMEZONE"
        assert timedelta(0) <= started - MONDAY < timedelta(minutes=5)

        for body, says in (
            ("in an hour", "send a JSON object"),
            ([60], '{"minutes": 60}'),
            ({"hours": 1}, "a whole number of minutes"),
            ({"minutes": "60"}, "a whole number of minutes"),
            ({"minutes": 1.5}, "a whole number of minutes"),
            ({"minutes": True}, "a whole number of minutes"),
            ({"minutes": 0}, "the clock only moves forward"),
            ({"minutes": -60}, "the clock only moves forward"),
            ({"minutes": MOST_MINUTES + 1}, "at most"),
        ):
            sent = {"data": body} if isinstance(body, str) else {"json": body}
            async with http.post(clock_url, **sent) as response:
                assert response.status == 400, body
                assert says in (await response.json())["error"], body
        assert sandbox.clock.moved == timedelta(0), "a refused move moves nothing"

        before = sandbox.nara.clock().replace(microsecond=0)  # shown to the second
        async with http.post(clock_url, json={"minutes": 60}) as response:
            assert response.status == 200
            moved = await response.json()
        assert moved["ahead_minutes"] == 60
        now = datetime.fromisoformat(moved["now"])
        assert timedelta(minutes=60) <= now - before < timedelta(minutes=65)
        # The bot itself runs on it: its timers and replies take this "now".
        assert sandbox.nara.clock() >= now

        async with http.post(clock_url, json={"minutes": WEEK}) as response:
            assert (await response.json())["ahead_minutes"] == 60 + WEEK
        async with http.get(f"{sandbox.url}sandbox/info") as response:
            shown = (await response.json())["clock"]
        assert shown["ahead_minutes"] == 60 + WEEK
        assert datetime.fromisoformat(shown["now"]) - started >= timedelta(minutes=60 + WEEK)


async def test_an_offer_over_http_says_offered_or_why_not(sandbox: Sandbox) -> None:
    url = f"{sandbox.url}sandbox/checkins"
    sara = sandbox.staff_ids["Sara"]
    async with SandboxClient(sandbox.url, timeout=30.0) as tg, aiohttp.ClientSession() as http:
        amal = await tg.add_user("Amal", language_code="en")

        async def offer(**body: Any) -> tuple[int, dict[str, str]]:
            async with http.post(url, json=body) as response:
                return response.status, await response.json()

        for body, says in (
            ({"staff_user_id": amal.id, "resident_user_id": amal.id, "plan": PLAN},
             "staff_user_id must be one of the sandbox's staff"),
            ({"staff_user_id": sara, "resident_user_id": "Amal", "plan": PLAN},
             "resident_user_id"),
            ({"staff_user_id": sara, "resident_user_id": amal.id}, "plan must be"),
        ):
            status, answer = await offer(**body)
            assert (status, says in answer.get("error", "")) == (400, True), answer

        status, answer = await offer(staff_user_id=sara, resident_user_id=amal.id, plan=PLAN)
        assert (status, answer["outcome"]) == (200, "unknown-resident")
        assert "send /start" in answer["message"]

        await amal.say("/start")
        await amal.next_message()
        _, answer = await offer(staff_user_id=sara, resident_user_id=amal.id, plan="weekly-hugs")
        assert answer == {"outcome": "unknown-plan", "message": CANNOT_OFFER["unknown-plan"]}

        _, answer = await offer(staff_user_id=sara, resident_user_id=amal.id, plan=PLAN)
        assert answer["outcome"] == "offered", answer
        assert _title(sandbox, "sv") in answer["message"], "staff see the title in their language"
        offered = await amal.next_message()
        assert _title(sandbox, "en") in offered.text
        yes_no = [gettext("Yes, please", "en"), gettext("No, thank you", "en")]
        assert offered.button_texts[:2] == yes_no

        _, answer = await offer(staff_user_id=sara, resident_user_id=amal.id, plan=PLAN)
        assert answer == {"outcome": "pending", "message": CANNOT_OFFER["pending"]}

    async with sandbox.nara.db.session() as session:
        resident = await queries.find_resident(session, amal.id)
        staff = await queries.active_staff_member(session, sara)
        assert resident is not None and staff is not None
        plans = list(
            await session.scalars(select(CheckinPlan).where(CheckinPlan.resident_id == resident.id))
        )
    assert [(p.plan, p.status, p.offered_by) for p in plans] == [(PLAN, "offered", staff.id)]


# -- in the browser ------------------------------------------------------------------------------


async def _plan_of(sandbox: Sandbox) -> CheckinPlan:
    async with sandbox.nara.db.session() as session:
        plan = await session.scalar(select(CheckinPlan).order_by(CheckinPlan.id.desc()))
    assert plan is not None
    return plan


@pytest.mark.browser
async def test_staff_offer_check_ins_and_a_week_later_the_resident_answers_in_the_browser(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "sandbox-checkins.png"
    try:
        await page.goto(sandbox.url)
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        clock_line = page.locator("#clock-now")
        await expect(clock_line).to_contain_text("Mon 8 Mar 2027, 08:3")
        box = await new_resident(page, "Amal", "en")
        resident = page.locator("#resident-pane")
        await box.fill("/start")
        await box.press("Enter")
        greeting = gettext("I am a computer program, not a person.", "en")
        await expect(resident.locator(".msg.in .bubble").filter(has_text=greeting)).to_be_visible()

        # Sara offers the plan from the staff pane: Amal is picked, the titles are Swedish.
        staff = page.locator("#staff-pane")
        await staff.locator("summary", has_text="Offer check-ins").click()
        form = staff.locator(".offer-form")
        await expect(form.get_by_label("Resident").locator("option:checked")).to_have_text("Amal")
        plans = form.get_by_label("Plan").locator("option")
        await expect(plans).to_have_count(len(sandbox.settings.checkin_plans()))
        await form.get_by_label("Plan").select_option(label=_title(sandbox, "sv"))
        offer_button = form.get_by_role("button", name="Offer as Sara")
        await offer_button.click()
        outcome = form.get_by_role("status")
        await expect(outcome).to_contain_text(f"Offered “{_title(sandbox, 'sv')}”")

        # Amal gets the offer in English, says yes and picks the morning.
        offer = resident.locator(".msg.in").filter(has_text=_title(sandbox, "en"))
        await offer.get_by_role("button", name=gettext("Yes, please", "en")).click()
        when = resident.locator(".msg.in").filter(
            has_text=gettext("When in the day should the messages come?", "en")
        )
        await when.get_by_role("button", name=gettext("Morning (about 9:00)", "en")).click()
        first = gettext("Thank you. The first check-in comes on {first}.", "en").split("{")[0]
        await expect(resident.locator(".msg.in .bubble").filter(has_text=first)).to_be_visible()
        plan = await _plan_of(sandbox)
        assert plan.status == "active"
        assert plan.next_due == datetime(2027, 3, 15, 9, 0, tzinfo=ZONE)

        # A second offer is refused, and the pane says why.
        await offer_button.click()
        await expect(outcome).to_have_text(CANNOT_OFFER["has-plan"])

        # "+1 week" until the check-in is due (the first time from the keyboard), then it comes.
        week = page.get_by_role("group", name="Move the clock forward").get_by_role(
            "button", name="+1 week"
        )
        question = _plan(sandbox).steps[0].message.text["en"]
        checkin = resident.locator(".msg.in").filter(has_text=question)
        days = iter(("Mon 15 Mar 2027", "Mon 22 Mar 2027", "Mon 29 Mar 2027"))
        presses = 0
        while True:
            await expect(checkin).to_have_count(0)
            if presses == 0:
                await week.focus()
                await page.keyboard.press("Enter")
            else:
                await week.click()
            presses += 1
            day = next(days)
            await expect(clock_line).to_contain_text(day)
            await expect(page.locator("#clock-status")).to_contain_text(
                f"Moved 1 week forward. Nära’s time is now {day}"
            )
            await expect(week).to_be_enabled()
            await expect(week).to_be_focused()
            if sandbox.clock() >= plan.next_due:
                break
        assert presses == 2, "a week after 08:30 is half an hour before the 09:00 check-in"
        await expect(checkin).to_be_visible()

        # Amal answers with a face.
        await checkin.get_by_role("button", name=gettext(FACE_LABELS["4"], "en"), exact=True).click()
        thanks = gettext("It is good to hear that.", "en")
        await expect(resident.locator(".msg.in .bubble").filter(has_text=thanks)).to_be_visible()
        await expect(checkin).to_have_count(1)
        async with sandbox.nara.db.session() as session:
            answers = list(await session.scalars(select(CheckinAnswer)))
        assert [(a.plan_id, a.step, a.answer) for a in answers] == [(plan.id, 0, "4")]

        assert page.errors == []
        await page.mouse.move(0, 0)
        await page.set_viewport_size({"width": 1440, "height": 1024})
        await page.screenshot(path=str(shot))
    except BaseException:
        await page.screenshot(path=str(ARTIFACTS / "sandbox-checkins-failure.png"))
        raise
    assert shot.stat().st_size > 30_000, "a blank page compresses to almost nothing"


# Whether the clock's buttons and time are inside the screen, not cut off or scrolled away.
CLOCK_ON_SCREEN = """
() => {
  const parts = [...document.querySelectorAll(".clock-bar button, #clock-now")];
  return parts.every((node) => {
    const box = node.getBoundingClientRect();
    return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth;
  }) && document.scrollingElement.scrollWidth <= window.innerWidth;
}
"""


@pytest.mark.browser
async def test_on_a_phone_the_clock_is_busy_while_it_moves_and_the_offer_form_fits(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import Route, expect

    page = browser_page
    await page.set_viewport_size(PHONE)
    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    clock = page.get_by_role("group", name="Move the clock forward")
    buttons = clock.get_by_role("button")
    await expect(buttons).to_have_count(3)
    # On a phone the year is left out.
    await expect(page.locator("#clock-now")).to_contain_text("Mon 8 Mar, 08:3", use_inner_text=True)
    assert await page.evaluate(CLOCK_ON_SCREEN)

    # The move is held back on its way to the sandbox: meanwhile the buttons wait.
    held = asyncio.Event()

    async def hold(route: Route) -> None:
        await held.wait()
        await route.continue_()

    await page.route("**/sandbox/clock", hold)
    day = clock.get_by_role("button", name="+1 day")
    await day.focus()
    await page.keyboard.press("Enter")
    for number in range(3):
        await expect(buttons.nth(number)).to_be_disabled()
    await expect(clock).to_have_attribute("aria-busy", "true")
    await expect(page.locator("#clock-now")).to_contain_text("Mon 8 Mar")
    held.set()
    await expect(page.locator("#clock-now")).to_contain_text("Tue 9 Mar, 08:3", use_inner_text=True)
    for number in range(3):
        await expect(buttons.nth(number)).to_be_enabled()
    await expect(clock).not_to_have_attribute("aria-busy", "true")
    await expect(day).to_be_focused()
    assert sandbox.clock.moved == timedelta(days=1)
    assert await page.evaluate(CLOCK_ON_SCREEN)

    await page.get_by_role("tab", name="Staff").click()
    await page.locator("#staff-pane summary", has_text="Offer check-ins").click()
    await expect(page.get_by_role("button", name="Offer as Sara")).to_be_visible()
    assert await page.evaluate(SPILLING_BUTTONS) == []
    assert await page.evaluate(CLOCK_ON_SCREEN)
    assert page.errors == []
