"""The sandbox as issue 9 asks: staff make an invite link, a resident opens it and books a call.

All in Chromium: the staff pane's /invite link is clicked, which the sandbox turns into the
selected resident's ``/start c-...``; the resident says yes, books a phone call (day, time,
how, number), sees the confirmation and the calendar file, and the staff pane lists the
call with /bookings. The bot's clock is set to a Monday morning, so the staff's seeded
weekday hours have free times that same day.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.core.i18n import gettext
from bot.sandbox.server import BOT_USERNAME, STAFF_HOURS, Sandbox, running_sandbox
from flows.calls.availability import WeeklyHours
from storage import hours
from storage.models import Booking
from tests.bot.harness import MovableClock
from tests.bot.test_sandbox import ARTIFACTS, browser_page, sandbox_settings
from tests.bot.test_sandbox_casework import new_resident

__all__ = ["browser_page"]  # the fixture, shared with the other sandbox tests

# A Monday that is no Swedish public holiday, 07:00 in Stockholm: with 2 hours' notice,
# the first free times are that morning.
MONDAY_MORNING = datetime(2027, 3, 8, 7, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    clock = MovableClock()
    clock.advance(MONDAY_MORNING.astimezone(UTC) - clock())
    async with running_sandbox(sandbox_settings(tmp_path), clock=clock) as running:
        yield running


async def test_the_sandbox_staff_have_weekday_hours_for_booked_calls(sandbox: Sandbox) -> None:
    async with sandbox.nara.db.session() as session:
        for staff_id in (await _staff_rows(sandbox)).values():
            set_hours = await hours.hours_of(session, staff_id)
            assert set_hours is not None
            assert set_hours.weekly == WeeklyHours.parse(STAFF_HOURS).format()
            assert set_hours.weekly.startswith("mon-fri")


async def _staff_rows(sandbox: Sandbox) -> dict[str, int]:
    from storage import queries

    async with sandbox.nara.db.session() as session:
        members = await queries.list_staff(session)
    return {member.name: member.id for member in members}


@pytest.mark.browser
async def test_staff_invite_a_resident_who_books_a_call_all_in_the_browser(
    sandbox: Sandbox, browser_page: Any
) -> None:
    from playwright.async_api import expect

    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "sandbox-booking.png"
    try:
        await page.goto(sandbox.url)
        await expect(page.locator("body")).to_have_attribute("data-ready", "true")
        await new_resident(page, "Amal", "en")
        resident = page.locator("#resident-pane")

        # Sara makes a one-time link in her private chat with the bot.
        staff = page.locator("#staff-pane")
        await staff.get_by_label("You are").select_option(str(sandbox.staff_ids["Sara"]))
        await staff.get_by_role("tab", name="Private chat with Nära").click()
        sara_box = staff.get_by_role("textbox", name="Message to Nära as Sara")
        await sara_box.fill("/invite")
        await sara_box.press("Enter")
        link = staff.locator(f'a[href^="https://t.me/{BOT_USERNAME}?start=c-"]').last
        await expect(link).to_be_visible()
        code = (await link.get_attribute("href") or "").split("start=", 1)[1]

        # Clicking it opens the bot as the selected resident: /start with the code.
        await link.click()
        await expect(
            resident.locator(".msg.out .bubble").filter(has_text=f"/start {code}")
        ).to_be_visible()
        assert len(page.context.pages) == 1, "the link must not leave the sandbox"
        offer = resident.locator(".msg.in").filter(
            has_text="Sara from social services would like to be your contact person."
        )
        await offer.get_by_role("button", name="Yes, I agree").click()
        await expect(
            resident.locator(".msg.in .bubble").filter(
                has_text="Done. Sara is now your contact person."
            )
        ).to_be_visible()

        # The resident books a phone call with Sara: day, time, how, number.
        amal_box = resident.get_by_role("textbox", name="Message to Nära as Amal")
        await amal_box.fill("/book")
        await amal_box.press("Enter")
        days = resident.locator(".msg.in").filter(has_text="Pick a day for a call with Sara.")
        await days.get_by_role("button").first.click()
        times = resident.locator(".msg.in").filter(has_text="Pick one:").last
        first_time = times.get_by_role("button").first
        await expect(first_time).to_be_visible()
        time_label = (await first_time.inner_text()).strip()
        await first_time.click()
        ways = resident.locator(".msg.in").filter(has_text="How do you want to talk?").last
        await ways.get_by_role("button", name="Phone call").click()
        await expect(
            resident.locator(".msg.in .bubble").filter(has_text="Which number should we call")
        ).to_be_visible()
        await amal_box.fill("070 123 45 67")
        await amal_box.press("Enter")
        booked = resident.locator(".msg.in .bubble").filter(has_text="Your call is booked.")
        await expect(booked).to_be_visible()
        await expect(booked).to_contain_text("With: Sara")
        await expect(booked).to_contain_text("Sara calls you on")
        await expect(booked).to_contain_text(time_label)
        calendar = resident.locator(".msg.in .media-card").filter(
            has_text=re.compile(r"^call-\d+\.ics$")
        )
        await expect(calendar).to_be_visible()

        async with sandbox.nara.db.session() as session:
            calls = list(await session.scalars(select(Booking)))
        assert [(c.staff_id, c.how, c.status) for c in calls] == [
            ((await _staff_rows(sandbox))["Sara"], "phone", "booked")
        ]
        assert await calendar.inner_text() == f"call-{calls[0].id}.ics"
        assert calls[0].start_at.astimezone(MONDAY_MORNING.tzinfo).date() == MONDAY_MORNING.date()

        # Sara is told at once, and /bookings in her private chat lists the call.
        told = gettext("A resident booked a call with you.", "sv")
        await expect(staff.locator(".msg.in .bubble").filter(has_text=told)).to_be_visible()
        await sara_box.fill("/bookings")
        await sara_box.press("Enter")
        day_head = gettext("Booked calls on {day}:", "sv").split("{day}")[0]
        await expect(staff.locator(".msg.in .bubble").filter(has_text=day_head)).to_be_visible()
        listed = gettext("Booking {number}: {when}", "sv").format(number=calls[0].id, when="")
        listed_call = staff.locator(".msg.in").filter(has_text=listed.strip()).last
        starts = calls[0].start_at.astimezone(MONDAY_MORNING.tzinfo).strftime("%H:%M")
        await expect(listed_call).to_contain_text(starts)
        await expect(
            listed_call.get_by_role("button", name=gettext("Cancel", "sv"))
        ).to_be_visible()

        assert page.errors == []
        await page.mouse.move(0, 0)
        await page.set_viewport_size({"width": 1440, "height": 1024})
        await page.screenshot(path=str(shot))
    except BaseException:
        await page.screenshot(path=str(ARTIFACTS / "sandbox-booking-failure.png"))
        raise
    assert shot.stat().st_size > 30_000, "a blank page compresses to almost nothing"
