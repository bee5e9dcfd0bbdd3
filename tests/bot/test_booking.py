"""Booking a call end to end: days, times, how, confirmation with an .ics, reminders, moves.

The bot's clock starts at 08:00 on a Monday in Stockholm (a week without public holidays
Monday to Wednesday) and is moved, never waited for. Staff take calls Monday to Friday,
09:00-12:00: 30-minute calls, 10 minutes between, 2 hours' notice, so a day offers 09:00,
09:40, 10:20 and 11:00.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.app.runtime import Nara
from flows.calls.availability import PublicHolidays, WeeklyHours
from storage import bookings, contacts, hours, queries
from storage.models import AuditEntry, Booking, Timer
from tests.bot.harness import (
    LocalTelegram,
    MovableClock,
    bot_settings,
    query,
    register_staff,
    running_bot,
)
from tests.bot.processes import BotProcess
from tgserver import SandboxClient
from tgserver.client import ChatMessage, SandboxUser

ZONE = ZoneInfo("Europe/Stockholm")
WEEKLY = "mon-fri 09:00-12:00"


def _monday_ahead(now: datetime) -> date:
    """A Monday at least two days ahead whose Monday to Wednesday are working days."""
    holidays = PublicHolidays("SE")
    day = now.astimezone(ZONE).date() + timedelta(days=2)
    while day.weekday() != 0 or any(day + timedelta(days=n) in holidays for n in range(3)):
        day += timedelta(days=1)
    return day


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE)


@dataclass
class Clinic:
    """A running bot whose clock the test moves, and two staff members who take calls."""

    nara: Nara
    clock: MovableClock
    telegram: LocalTelegram
    monday: date
    sara: SandboxUser
    jonas: SandboxUser
    staff_ids: dict[str, int]

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        """A local time ``days`` after the Monday."""
        return local(self.monday + timedelta(days=days), hour, minute)

    def move_to(self, moment: datetime) -> None:
        self.clock.advance(moment - self.clock())

    async def contact(self, resident: SandboxUser, staff: str) -> None:
        async with self.nara.db.session() as session, session.begin():
            found = await queries.find_resident(session, resident.id)
            assert found is not None
            assert await contacts.hand_over(
                session,
                resident_id=found.id,
                from_staff_id=None,
                to_staff_id=self.staff_ids[staff],
                now=self.clock(),
            )

    def ics(self, message: ChatMessage) -> str:
        document = message.api["document"]
        assert document["file_name"].endswith(".ics")
        return self.telegram.world.files[document["file_id"]].content.decode()

    async def bookings(self) -> list[Booking]:
        async with self.nara.db.session() as session:
            return list(await session.scalars(select(Booking).order_by(Booking.id)))


@pytest.fixture
async def clinic(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> AsyncIterator[Clinic]:
    sara = await tg.add_user("Sara", language_code="sv")
    jonas = await tg.add_user("Jonas", language_code="sv")
    clock = MovableClock()
    monday = _monday_ahead(clock())
    clock.advance(local(monday, 8) - clock())
    settings = bot_settings(
        telegram.url, any_database_url, timezone="Europe/Stockholm", staff_locale="sv"
    )
    async with running_bot(settings, clock) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"), (jonas, "Jonas", "supervisor"))
        ids = {}
        async with nara.db.session() as session, session.begin():
            for user, name in ((sara, "Sara"), (jonas, "Jonas")):
                member = await queries.active_staff_member(session, user.id)
                assert member is not None
                ids[name] = member.id
                await hours.set_hours(
                    session, member.id, now=clock(), weekly=WeeklyHours.parse(WEEKLY)
                )
        for person in (sara, jonas):
            await person.say("/start")
            await person.next_message()
        yield Clinic(nara, clock, telegram, monday, sara, jonas, ids)


async def greeted(tg: SandboxClient, name: str, language: str) -> SandboxUser:
    person = await tg.add_user(name, language_code=language)
    await person.say("/start")
    await person.next_message()
    return person


def day_buttons(message: ChatMessage) -> list[str]:
    return [row[0]["text"] for row in message.buttons]


# The times of a full day, as buttons in that order (labels differ per language).
SLOTS = {"09:00": 0, "09:40": 1, "10:20": 2, "11:00": 3}


async def pick(person: SandboxUser, days: ChatMessage, day: int, slot: str) -> ChatMessage:
    """Press the ``day``-th day, then the time ``slot`` of a full day; return what follows."""
    await person.press(day_buttons(days)[day], message=days)
    times = await person.next_message()
    await person.press(times.button_texts[SLOTS[slot]], message=times)
    return await person.next_message()


async def test_a_resident_books_a_phone_call_with_their_contact_in_swedish(
    clinic: Clinic, tg: SandboxClient
) -> None:
    amal = await greeted(tg, "Amal", "sv")
    await clinic.contact(amal, "Sara")
    await amal.say("/book")
    days = await amal.next_message()
    assert "Sara" in days.text
    # Monday (10:20 and 11:00 are still more than two hours away) to Friday, then more.
    labels = day_buttons(days)
    assert labels[0].startswith("måndag") and labels[1].startswith("tisdag")
    assert labels[-1] == "Andra dagar" and len(labels) == 6

    await amal.press(labels[0], message=days)
    monday_times = await amal.next_message()
    # 09:00 and 09:40 are within the two hours' notice: never offered.
    assert monday_times.button_texts[:-1] == ["10:20", "11:00"]

    how = await pick(amal, days, 1, "09:00")
    assert "Sara" in how.text and "tisdag" in how.text
    await amal.press("Telefonsamtal", message=how)
    asked = await amal.next_message()
    assert "Vilket nummer" in asked.text and "raderar numret" in asked.text
    await amal.say("070 12")
    assert "inte ut som ett telefonnummer" in (await amal.next_message()).text
    await amal.say("070-123 45 67")

    confirmation = await amal.next_message()
    assert "Ditt samtal är bokat" in confirmation.text
    assert "tisdag" in confirmation.text and "09:00–09:30" in confirmation.text
    assert "0701234567" in confirmation.text
    assert confirmation.button_texts == ["Flytta", "Avboka"]
    ics = clinic.ics(await amal.next_message())
    (call,) = await clinic.bookings()
    assert "METHOD:REQUEST" in ics and f"UID:{call.uid}" in ics and "SEQUENCE:0" in ics
    tuesday = clinic.monday + timedelta(days=1)
    assert f"DTSTART;TZID=Europe/Stockholm:{tuesday:%Y%m%d}T090000" in ics
    assert "Samtal med Sara" in ics

    told = await clinic.sara.next_message()
    assert "En invånare har bokat ett samtal med dig" in told.text
    assert "0701234567" in told.text and "Amal" in told.text
    assert (call.how, call.phone, call.status) == ("phone", "0701234567", "booked")

    await amal.say("/bookings")
    assert "Dina bokade samtal" in (await amal.next_message()).text
    listed = await amal.next_message()
    assert "09:00–09:30" in listed.text and listed.button_texts == ["Flytta", "Avboka"]

    # A day before: the resident (with Move and Cancel) and Sara are reminded.
    clinic.move_to(clinic.at(0, 9, 0) + timedelta(seconds=1))
    reminder = await amal.next_message()
    assert "Påminnelse: du har ett samtal i morgon" in reminder.text
    assert reminder.button_texts == ["Flytta", "Avboka"]
    assert "Påminnelse: ett samtal i morgon" in (await clinic.sara.next_message()).text
    # An hour before.
    clinic.move_to(clinic.at(1, 8, 0) + timedelta(seconds=1))
    assert "börjar om en timme" in (await amal.next_message()).text
    assert "om en timme" in (await clinic.sara.next_message()).text
    # Once the call is over, the number is gone.
    clinic.move_to(clinic.at(1, 9, 30) + timedelta(seconds=1))
    await until(lambda: phone_of(clinic, call.id), None)
    assert await amal.unread_messages() == []


async def phone_of(clinic: Clinic, booking_id: int) -> str | None:
    async with clinic.nara.db.session() as session:
        return await session.scalar(select(Booking.phone).where(Booking.id == booking_id))


async def until(read: Callable[[], Awaitable[object]], wanted: object) -> None:
    """Wait until the bot's database shows ``wanted`` (a failsafe ends the test)."""
    for _ in range(600):
        if await read() == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never became {wanted!r}")


async def test_moving_and_cancelling_in_arabic_send_new_files_and_drop_old_reminders(
    clinic: Clinic, tg: SandboxClient
) -> None:
    noor = await greeted(tg, "Noor", "ar")
    # No named contact: the reception team's times; the resident learns who it is.
    await noor.say("/book")
    days = await noor.next_message()
    assert "فريق الاستقبال" in days.text
    wednesday = 2

    async def book_at(slot: str, way: str) -> tuple[ChatMessage, str]:
        await noor.say("/book")
        offered = await noor.next_message()
        how = await pick(noor, offered, wednesday, slot)
        await noor.press(way, message=how)
        confirmation = await noor.next_message()
        return confirmation, clinic.ics(await noor.next_message())

    first, first_ics = await book_at("09:00", "مكالمة فيديو")
    assert "تم حجز مكالمتك" in first.text
    second, _ = await book_at("09:40", "لقاء شخصي")
    x, y = await clinic.bookings()
    # Each went to the least booked free member of the team: one each.
    assert {x.staff_id, y.staff_id} == set(clinic.staff_ids.values())
    names = {clinic.staff_ids["Sara"]: "Sara", clinic.staff_ids["Jonas"]: "Jonas"}
    assert names[x.staff_id] in first.text
    staff_of = {clinic.staff_ids["Sara"]: clinic.sara, clinic.staff_ids["Jonas"]: clinic.jonas}
    await staff_of[x.staff_id].next_message()
    await staff_of[y.staff_id].next_message()

    # Move the first call to 11:00 from its confirmation.
    await noor.press("تغيير الموعد", message=first)
    moved = await pick(noor, await noor.next_message(), wednesday, "11:00")
    assert "تم نقل موعد مكالمتك" in moved.text
    moved_ics = clinic.ics(await noor.next_message())
    assert f"UID:{x.uid}" in moved_ics and "SEQUENCE:1" in moved_ics
    assert f"{clinic.monday + timedelta(days=2):%Y%m%d}T110000" in moved_ics
    assert "METHOD:REQUEST" in first_ics
    assert "Ett samtal har flyttats" in (await staff_of[x.staff_id].next_message()).text

    # Cancel the second from its confirmation: asked once, then a CANCEL file.
    await noor.press("إلغاء", message=second)
    asked = await noor.next_message()
    await noor.press("نعم، ألغِها", message=asked)
    cancelled = await noor.next_message()
    assert "تم إلغاء مكالمتك" in cancelled.text
    cancel_ics = clinic.ics(await noor.next_message())
    assert "METHOD:CANCEL" in cancel_ics and f"UID:{y.uid}" in cancel_ics
    assert "SEQUENCE:1" in cancel_ics and "STATUS:CANCELLED" in cancel_ics
    assert "Ett samtal har avbokats" in (await staff_of[y.staff_id].next_message()).text
    # The old button of a cancelled call says so, kindly.
    press = await noor.press("إلغاء", message=second)
    assert "أُلغيت" in (await noor.callback_answer(press))["text"]

    # A day before 11:00 on Wednesday. The old reminder (09:00) and the cancelled call's
    # (09:40) would come first in this chat: the first reminder is the moved call's.
    clinic.move_to(clinic.at(1, 11, 0) + timedelta(seconds=1))
    reminder = await noor.next_message()
    assert "تذكير: لديك مكالمة غدًا" in reminder.text and "11:00" in reminder.text
    assert await noor.unread_messages() == []


async def test_staff_move_and_cancel_and_the_resident_hears_in_their_language(
    clinic: Clinic, tg: SandboxClient
) -> None:
    olena = await greeted(tg, "Olena", "uk")
    await clinic.contact(olena, "Sara")
    await olena.say("/book")
    how = await pick(olena, await olena.next_message(), 1, "09:40")
    await olena.press("Відеодзвінок", message=how)
    await olena.next_message()
    await olena.next_message()  # the .ics
    told = await clinic.sara.next_message()

    # Sara moves it from the message that told her of it; Olena hears in Ukrainian.
    await clinic.sara.press("Flytta", message=told)
    moved = await pick(clinic.sara, await clinic.sara.next_message(), 1, "11:00")
    assert "Flyttat" in moved.text
    heard = await olena.next_message()
    assert "Sara переніс(ла) ваш дзвінок" in heard.text and "11:00" in heard.text
    ics = clinic.ics(await olena.next_message())
    assert "SEQUENCE:1" in ics and "T110000" in ics

    await clinic.sara.say("/bookings")
    assert "Inga bokade samtal" in (await clinic.sara.next_message()).text  # Monday

    # Tuesday morning (the day-before reminders came at Monday 11:00).
    clinic.move_to(clinic.at(1, 8, 0))
    assert "11:00" in (await olena.next_message()).text
    await clinic.sara.next_message()
    # Jonas, a supervisor, sees the team's day and cancels Sara's call.
    await clinic.jonas.say("/bookings")
    assert "Bokade samtal" in (await clinic.jonas.next_message()).text
    listed = await clinic.jonas.next_message()
    assert "Med: Sara" in listed.text
    await clinic.jonas.press("Avboka", message=listed)
    asked = await clinic.jonas.next_message()
    assert "Avboka bokning" in asked.text
    await clinic.jonas.press("Ja, avboka", message=asked)
    assert "Avbokat" in (await clinic.jonas.next_message()).text
    heard = await olena.next_message()
    assert "Jonas довелося скасувати" in heard.text
    assert "METHOD:CANCEL" in clinic.ics(await olena.next_message())
    assert "Ett samtal har avbokats" in (await clinic.sara.next_message()).text
    (call,) = await clinic.bookings()
    assert (call.status, call.sequence) == ("cancelled", 2)
    async with clinic.nara.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("booking-move") == 1 and actions.count("booking-cancel") == 1


async def test_forged_or_foreign_booking_buttons_do_nothing_and_are_audited(
    clinic: Clinic, tg: SandboxClient
) -> None:
    amal = await greeted(tg, "Amal", "sv")
    omar = await greeted(tg, "Omar", "sv")
    await clinic.contact(amal, "Jonas")
    await amal.say("/book")
    how = await pick(amal, await amal.next_message(), 1, "09:00")
    await amal.press("Videosamtal", message=how)
    await amal.next_message()
    (call,) = await clinic.bookings()

    # Omar presses on Amal's booking, and garbage; Sara, a caseworker, on Jonas's call.
    await omar.say("/bookings")
    sent = await omar.next_message()
    for data in (f"bk:xx:{call.id}", f"bk:mv:{call.id}", "bk:at:0:abc:1", "bk:zz", "bk:x:-1"):
        press = await omar.forge_callback(sent, data)
        assert "fungerar inte" in (await omar.callback_answer(press))["text"]
    await clinic.sara.say("/bookings")
    mine = await clinic.sara.next_message()
    press = await clinic.sara.forge_callback(mine, f"bk:xx:{call.id}")
    assert "fungerar inte" in (await clinic.sara.callback_answer(press))["text"]

    (still,) = await clinic.bookings()
    assert still.status == "booked" and still.sequence == 0
    async with clinic.nara.db.session() as session:
        refused = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "booking-refused")
        )
    assert refused == 6


async def test_an_old_time_pressed_after_it_passed_says_so_with_fresh_times(
    clinic: Clinic, tg: SandboxClient
) -> None:
    amal = await greeted(tg, "Amal", "sv")
    await amal.say("/book")
    days = await amal.next_message()
    await amal.press(day_buttons(days)[0], message=days)
    times = await amal.next_message()
    assert times.button_texts[0] == "10:20"
    # Lunch passes; the 10:20 button is still on the screen.
    clinic.move_to(clinic.at(0, 13, 0))
    await amal.press("10:20", message=times)
    answer = await amal.next_message()
    assert "Den tiden har redan varit" in answer.text
    # Monday has nothing left: the days from Tuesday on are offered instead.
    assert day_buttons(answer)[0].startswith("tisdag")
    # The old Monday button too.
    await amal.press(day_buttons(days)[0], message=days)
    answer = await amal.next_message()
    assert "Den tiden går inte längre att boka" in answer.text
    assert day_buttons(answer)[0].startswith("tisdag")
    assert await clinic.bookings() == []


async def test_fifty_residents_press_the_same_time_at_once_and_one_gets_it(
    clinic: Clinic, tg: SandboxClient
) -> None:
    # Only Sara takes calls: everyone is offered her times.
    async with clinic.nara.db.session() as session, session.begin():
        await hours.set_hours(
            session, clinic.staff_ids["Jonas"], now=clinic.clock(), weekly=WeeklyHours.closed()
        )
    people = [await tg.add_user(f"R{n}", language_code="sv") for n in range(50)]

    async def reach_how(person: SandboxUser) -> ChatMessage:
        await person.say("/book")
        offered = await person.next_message()
        return await pick(person, offered, 1, "09:00")

    hows = await asyncio.gather(*(reach_how(person) for person in people))
    await asyncio.gather(
        *(
            person.press("Videosamtal", message=how)
            for person, how in zip(people, hows, strict=True)
        )
    )
    answers = await asyncio.gather(*(person.next_message() for person in people))
    booked = [a for a in answers if "Ditt samtal är bokat" in a.text]
    taken = [a for a in answers if "den tiden blev precis tagen" in a.text]
    assert len(booked) == 1 and len(taken) == 49
    for answer in taken:
        # Fresh times of that Tuesday, without 09:00 (and its buffer).
        assert answer.button_texts[:-1] == ["09:40", "10:20", "11:00"]
    (call,) = await clinic.bookings()
    assert call.status == "booked"
    async with clinic.nara.db.session() as session:
        reminders = await session.scalar(
            select(func.count()).select_from(Timer).where(Timer.booking_id.is_not(None))
        )
    assert reminders == 3


async def test_forget_cancels_and_removes_bookings_and_tells_the_contact(
    clinic: Clinic, tg: SandboxClient
) -> None:
    amal = await greeted(tg, "Amal", "en")
    await clinic.contact(amal, "Sara")
    await amal.say("/book")
    how = await pick(amal, await amal.next_message(), 1, "09:00")
    await amal.press("In person", message=how)
    await amal.next_message()
    await amal.next_message()
    await clinic.sara.next_message()
    await amal.say("/forget")
    question = await amal.next_message()
    assert "Your booked calls are cancelled too." in question.text
    await amal.press("Yes, delete", message=question)
    done = await amal.next_message()
    assert "Your booked calls are cancelled." in done.text
    assert "Ett samtal har avbokats" in (await clinic.sara.next_message()).text
    assert await clinic.bookings() == []
    async with clinic.nara.db.session() as session:
        assert await queries.find_resident(session, amal.id) is None
        assert await session.scalar(select(func.count()).select_from(Timer)) == 0


def nara_cli(*args: str, database_url: str) -> list[dict[str, object]]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    environment |= {"NARA_DATABASE_URL": database_url, "NARA_TIMEZONE": "Europe/Stockholm"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_nara_bookings_prints_the_upcoming_calls_as_json_lines(
    clinic: Clinic, tg: SandboxClient, any_database_url: str
) -> None:
    amal = await greeted(tg, "Amal", "sv")
    await clinic.contact(amal, "Sara")
    # 10:20 first: with 09:00 taken, the day's buttons would no longer be a full day's.
    for slot in ("10:20", "09:00"):
        await amal.say("/book")
        how = await pick(amal, await amal.next_message(), 1, slot)
        await amal.press("Videosamtal", message=how)
        await amal.next_message()
        await amal.next_message()
    later, earlier = await clinic.bookings()

    rows = await asyncio.to_thread(nara_cli, "bookings", "--json", database_url=any_database_url)
    tuesday = clinic.monday + timedelta(days=1)
    assert rows == [
        {
            "id": call.id,
            "resident_chat_id": amal.id,
            "staff_telegram_id": clinic.sara.id,
            "start": local(tuesday, hour, minute).isoformat(),
            "minutes": 30,
            "how": "video",
            "status": "booked",
        }
        for call, (hour, minute) in ((earlier, (9, 0)), (later, (10, 20)))
    ]
    assert rows[0]["start"].endswith("+01:00")  # type: ignore[union-attr]
    sara_only = await asyncio.to_thread(
        nara_cli,
        "bookings",
        "--telegram-id",
        str(clinic.sara.id),
        "--json",
        database_url=any_database_url,
    )
    assert sara_only == rows
    jonas_only = await asyncio.to_thread(
        nara_cli,
        "bookings",
        "--telegram-id",
        str(clinic.jonas.id),
        "--json",
        database_url=any_database_url,
    )
    assert jonas_only == []


async def test_booking_while_in_a_case_keeps_the_case_conversation(
    clinic: Clinic, tg: SandboxClient
) -> None:
    amal = await greeted(tg, "Amal", "sv")
    await amal.say("/person")
    await amal.next_message()
    await amal.say("/book")
    how = await pick(amal, await amal.next_message(), 1, "09:00")
    await amal.press("Telefonsamtal", message=how)
    await amal.next_message()
    # Words without digits while the number is awaited: the booking waits no longer.
    await amal.say("jag ringer hellre själv")
    await amal.next_message()
    async with clinic.nara.db.session() as session:
        resident = await queries.find_resident(session, amal.id)
        assert resident is not None and resident.step == "case"
    await amal.press("Telefonsamtal", message=how)
    await amal.next_message()
    await amal.say("0701234567")
    assert "Ditt samtal är bokat" in (await amal.next_message()).text
    async with clinic.nara.db.session() as session:
        resident = await queries.find_resident(session, amal.id)
        assert resident is not None and resident.step == "case"
        assert resident.preferred_how == "phone"


async def _video_call_tuesday_1020(
    telegram: LocalTelegram, tg: SandboxClient, database_url: str
) -> tuple[Any, Any, MovableClock, date, Any]:
    """Book Amal a video call with Sara at 10:20 the day after a Monday, then stop the bot.

    Returns Sara, Amal, the bot's clock (Monday 08:00 and a little), that Monday and the
    settings to start the bot again with.
    """
    sara = await tg.add_user("Sara", language_code="sv")
    amal = await tg.add_user("Amal", language_code="sv")
    clock = MovableClock()
    monday = _monday_ahead(clock())
    clock.advance(local(monday, 8) - clock())
    settings = bot_settings(telegram.url, database_url, timezone="Europe/Stockholm")
    async with running_bot(settings, clock) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"))
        async with nara.db.session() as session, session.begin():
            member = await queries.active_staff_member(session, sara.id)
            assert member is not None
            await hours.set_hours(session, member.id, now=clock(), weekly=WeeklyHours.parse(WEEKLY))
        await sara.say("/start")
        await sara.next_message()
        await amal.say("/book")
        how = await pick(amal, await amal.next_message(), 1, "10:20")
        await amal.press("Videosamtal", message=how)
        await amal.next_message()
        await amal.next_message()
        await sara.next_message()
    return sara, amal, clock, monday, settings


async def test_reminders_due_while_the_bot_was_down_come_once_after_a_restart(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> None:
    sara, amal, clock, monday, settings = await _video_call_tuesday_1020(
        telegram, tg, any_database_url
    )
    # Down over the day-before reminder (Monday 10:20); up again at Monday 12:00.
    clock.advance(local(monday, 12) - clock())
    async with running_bot(settings, clock):
        reminder = await amal.next_message()
        assert "i morgon" in reminder.text
        assert "i morgon" in (await sara.next_message()).text
        clock.advance(local(monday + timedelta(days=1), 9, 21) - clock())
        assert "om en timme" in (await amal.next_message()).text
        assert "om en timme" in (await sara.next_message()).text
    async with running_bot(settings, clock):
        clock.advance(local(monday + timedelta(days=1), 10, 51) - clock())
        # The call is over: no reminder comes twice, and the call has left the list.
        await amal.say("/bookings")
        assert "Du har inga bokade samtal" in (await amal.next_message()).text
        assert await amal.unread_messages() == []


async def test_after_a_long_stop_only_the_nearest_reminder_comes(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> None:
    sara, amal, clock, monday, settings = await _video_call_tuesday_1020(
        telegram, tg, any_database_url
    )
    # Down from Monday morning until 40 minutes before Tuesday's 10:20 call.
    clock.advance(local(monday + timedelta(days=1), 9, 40) - clock())
    async with running_bot(settings, clock):
        reminder = await amal.next_message()
        assert "om en timme" in reminder.text and "i morgon" not in reminder.text
        assert "om en timme" in (await sara.next_message()).text
        await amal.say("/bookings")
        listing = await amal.next_message()
        assert "i morgon" not in listing.text
        assert await amal.unread_messages() == []


@pytest.mark.slow
async def test_a_due_reminder_survives_a_sigkill_and_arrives_once(
    telegram: LocalTelegram, tg: SandboxClient, tmp_path: Path, any_database_url: str
) -> None:
    """``nara run`` as a real process takes a due reminder while Telegram refuses every
    message, is killed with SIGKILL, and a new process delivers the reminder exactly once."""
    sara = await tg.add_user("Sara", language_code="sv")
    amal = await tg.add_user("Amal", language_code="sv")
    # The process runs on the real clock: the call is 30 minutes from now, so its one-hour
    # reminder is due at once. It was booked three hours ago (the in-process bot's clock is
    # moved back, so it does not send the reminder itself).
    start = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    clock = MovableClock()
    clock.advance(start - timedelta(hours=3) - clock())
    settings = bot_settings(telegram.url, any_database_url, timezone="Europe/Stockholm")
    async with running_bot(settings, clock) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"))
        for person in (sara, amal):
            await person.say("/start")
            await person.next_message()
        async with nara.db.session() as session, session.begin():
            resident = await queries.find_resident(session, amal.id)
            member = await queries.active_staff_member(session, sara.id)
            assert resident is not None and member is not None
            call = await bookings.book(
                session, resident_id=resident.id, staff_id=member.id, start=start, minutes=30,
                buffer_minutes=10, how="video", phone=None, now=clock(),
            )
            assert call is not None
            booking_id = call.id

    async def reminders_left() -> int:
        rows = await query(
            any_database_url,
            f"SELECT count(*) FROM timers WHERE booking_id = {booking_id} "
            f"AND done_at IS NULL AND kind <> '{bookings.CALL_OVER}'",
        )
        return int(rows[0][0])

    assert await reminders_left() == 1  # the day-before reminder was already past
    refused = telegram.world.faults.fail_next("sendMessage", count=10_000, status=502)
    process = BotProcess(
        telegram_url=telegram.url,
        database_url=any_database_url,
        log_path=tmp_path / "bot.log",
        webhook=False,
    )
    await process.start()
    await BotProcess.wait_until(lambda: (refused.count or 0) < 10_000, "the reminder to be tried")
    await process.kill_and_fence(telegram)
    telegram.world.faults.clear()
    # The killed process had taken the reminder: it waits in the outbox, not in the timers.
    assert await reminders_left() == 0
    assert await amal.unread_messages() == []
    await process.start()
    reminder = await amal.next_message()
    assert "om en timme" in reminder.text
    assert "om en timme" in (await sara.next_message()).text

    async def outbox_empty() -> bool:
        rows = await query(
            any_database_url,
            "SELECT count(*) FROM outbox WHERE failed_at IS NULL",
        )
        return int(rows[0][0]) == 0

    await BotProcess.wait_until(outbox_empty, "the outbox to be delivered")
    assert process.terminate() == 0
    assert await amal.unread_messages() == []
    assert await sara.unread_messages() == []


def _next_change(now: datetime, month: int) -> date:
    """The next last Sunday of ``month`` (when Europe's clocks change), at least a week away."""
    year = now.year
    while True:
        day = date(year, month, 31)
        while day.weekday() != 6:
            day -= timedelta(days=1)
        if day > now.date() + timedelta(days=7):
            return day
        year += 1


@pytest.mark.parametrize(("month", "offset_after"), [(3, 2), (10, 1)], ids=["spring", "autumn"])
async def test_a_call_booked_across_a_daylight_saving_change_keeps_its_wall_clock_time(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str, month: int,
    offset_after: int,
) -> None:
    """Booked on the Friday before the clocks change, for 09:00 on the next working day.

    The call stays at 09:00 Stockholm time (UTC+2 in summer, UTC+1 in winter) in the
    confirmation, the calendar file, the database and both reminders — never an hour off.
    """
    sara = await tg.add_user("Sara", language_code="sv")
    amal = await tg.add_user("Amal", language_code="sv")
    clock = MovableClock()
    sunday = _next_change(clock(), month)
    friday = sunday - timedelta(days=2)
    holidays = PublicHolidays("SE")
    working = sunday + timedelta(days=1)
    while working in holidays:
        working += timedelta(days=1)
    # Friday and the working day are the first two days offered (if Friday is a holiday,
    # the working day comes first).
    index = 0 if friday in holidays else 1
    clock.advance(local(friday, 8) - clock())
    settings = bot_settings(telegram.url, any_database_url, timezone="Europe/Stockholm")
    async with running_bot(settings, clock) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"))
        async with nara.db.session() as session, session.begin():
            member = await queries.active_staff_member(session, sara.id)
            assert member is not None
            await hours.set_hours(session, member.id, now=clock(), weekly=WeeklyHours.parse(WEEKLY))
        for person in (sara, amal):
            await person.say("/start")
            await person.next_message()
        await amal.say("/book")
        days = await amal.next_message()
        how = await pick(amal, days, index, "09:00")
        await amal.press("Videosamtal", message=how)
        confirmation = await amal.next_message()
        assert "Ditt samtal är bokat" in confirmation.text
        assert "09:00–09:30" in confirmation.text
        calendar = (await amal.next_message()).api["document"]
        ics = telegram.world.files[calendar["file_id"]].content.decode()
        assert f"DTSTART;TZID=Europe/Stockholm:{working:%Y%m%d}T090000" in ics
        assert "09:00" in (await sara.next_message()).text

        async with nara.db.session() as session:
            call = await session.scalar(select(Booking))
            assert call is not None
            start = call.start_at.replace(tzinfo=call.start_at.tzinfo or UTC)
            due = sorted(
                (t.due_at.replace(tzinfo=t.due_at.tzinfo or UTC), t.kind)
                for t in await session.scalars(select(Timer).where(Timer.booking_id == call.id))
            )
        assert start == datetime.combine(working, time(9 - offset_after), UTC)
        assert [when for when, _ in due] == [
            start - timedelta(hours=24), start - timedelta(hours=1), start + timedelta(minutes=30)
        ]

        # The day before, at 09:00 wall-clock time, and an hour before, at 08:00.
        clock.advance(start - timedelta(hours=24, seconds=-1) - clock())
        assert local(working - timedelta(days=1), 9) == start - timedelta(hours=24)
        assert "i morgon" in (await amal.next_message()).text
        assert "i morgon" in (await sara.next_message()).text
        clock.advance(local(working, 8) + timedelta(seconds=1) - clock())
        reminder = await amal.next_message()
        assert "om en timme" in reminder.text and "09:00" in reminder.text
        assert "om en timme" in (await sara.next_message()).text
        await amal.say("/bookings")
        assert "Dina bokade samtal" in (await amal.next_message()).text
        assert "09:00–09:30" in (await amal.next_message()).text
