"""A staff member's hours for booked calls, end to end: /hours in the private chat (typed
and with buttons, in the staff language), staff only, and `nara staff hours`.

The bot's clock stands at Monday 14 December 2026, 08:00 in Stockholm: Christmas Eve,
Christmas Day and New Year's Eve are the coming public holidays (Sweden).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton
from sqlalchemy import select

from bot.app.runtime import Nara
from bot.core.i18n import plain
from bot.core.settings import ConfigError, load_settings
from bot.sandbox.server import running_sandbox
from flows import welcome
from flows.calls import staff_hours
from flows.calls.availability import HoursProblem, WeeklyHours
from flows.calls.times import free_times
from flows.replies import Text
from storage import hours, queries
from storage.db import Database
from storage.models import AuditEntry, Booking, OutboxMessage, StaffHours
from tests.bot.harness import LocalTelegram, MovableClock, bot_settings, running_bot
from tests.bot.test_sandbox import sandbox_settings
from tgserver import SandboxClient
from tgserver.client import ChatMessage, SandboxUser

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONDAY = date(2026, 12, 14)
START = datetime(2026, 12, 14, 8, 0, tzinfo=STOCKHOLM)
OFFICE = "mon-fri 09:00-12:00,13:00-16:00"
CHRISTMAS_EVE, WEDNESDAY = date(2026, 12, 24), date(2026, 12, 16)


@dataclass
class Desk:
    """A running bot on a fixed clock, Sara on its staff (Swedish staff texts) and a resident."""

    nara: Nara
    sara: SandboxUser
    amal: SandboxUser
    clock: MovableClock

    async def staff_id(self) -> int:
        async with self.nara.db.session() as session:
            member = await queries.active_staff_member(session, self.sara.id)
        assert member is not None
        return member.id

    async def stored_hours(self) -> StaffHours | None:
        async with self.nara.db.session() as session:
            return await hours.hours_of(session, await self.staff_id())

    async def statuses(self) -> dict[int, str]:
        async with self.nara.db.session() as session:
            rows = await session.execute(select(Booking.id, Booking.status))
        return {booking_id: status for booking_id, status in rows}

    async def book_call(self, start: datetime) -> int:
        """Book Amal a call with Sara, as a row (booking itself is tested elsewhere)."""
        sara = await self.staff_id()
        async with self.nara.db.session() as session, session.begin():
            amal, _ = await queries.meet_resident(
                session, telegram_user_id=self.amal.id, chat_id=self.amal.id, locale="sv", now=START
            )
            session.add(
                Booking(
                    resident_id=amal.id,
                    staff_id=sara,
                    start_at=start,
                    minutes=30,
                    how="phone",
                    status="booked",
                    uid=f"test-{start.isoformat()}",
                    sequence=0,
                    created_at=START,
                    updated_at=START,
                )
            )
        async with self.nara.db.session() as session:
            found = await session.scalar(select(Booking.id).where(Booking.start_at == start))
        assert found is not None
        return int(found)

    async def stored_days(self) -> list[tuple[date, str, str]]:
        async with self.nara.db.session() as session:
            days = await hours.days_of(session, await self.staff_id())
        return [(d.day, d.kind, d.hours) for d in days]


@pytest.fixture
async def desk(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> AsyncIterator[Desk]:
    clock = MovableClock()
    clock.advance(START - clock())
    # Sara's Telegram speaks English; staff texts follow NARA_STAFF_LOCALE (Swedish).
    sara = await tg.add_user("Sara", language_code="en")
    amal = await tg.add_user("Amal", language_code="sv")
    settings = bot_settings(telegram.url, any_database_url)
    async with running_bot(settings, clock=clock) as nara:
        async with nara.db.session() as session, session.begin():
            await queries.add_staff_member(
                session, telegram_user_id=sara.id, name="Sara", role="caseworker", now=START
            )
        await sara.say("/start")
        await sara.next_message()
        yield Desk(nara, sara, amal, clock)


def sv(msgid: str, **params: str | Text) -> str:
    return plain(Text.of(msgid, **params), "sv")


def day_label(day: date) -> str:
    return format_skeleton("MMMEd", day, locale="sv")


async def press_and_see(user: SandboxUser, label: str, message: ChatMessage) -> ChatMessage:
    """Press a button and return its message once the bot has rewritten it."""
    press = await user.press(label, message=message)
    answer = await user.callback_answer(press)
    assert answer["answered"] and not answer.get("text")
    current = message
    for _failsafe in range(20):
        current = await user.next_edit(current)
        if (current.text, current.buttons) != (message.text, message.buttons):
            return current
    raise AssertionError("the message was never rewritten")


# --- typed --------------------------------------------------------------------------------


async def test_weekly_hours_are_typed_after_hours_and_shown_in_the_staff_language(
    desk: Desk,
) -> None:
    await desk.sara.say("/hours")
    empty = await desk.sara.next_message()
    assert sv("You have no weekly hours yet, so no one can book a call with you.") in empty.text
    assert f"/hours {staff_hours.EXAMPLE}" in empty.text
    assert empty.button_texts[:4] == [
        sv("Call length"),
        sv("Time between calls"),
        sv("Day off"),
        sv("Sick day"),
    ]

    await desk.sara.say("/hours MON-fri 13:00-16:00, 9:00-12:00; sat 10:00-12:00")
    done = await desk.sara.next_message()
    assert sv("Your weekly hours are now:") in done.text
    assert "måndag–fredag 09:00–12:00, 13:00–16:00; lördag 10:00–12:00" in done.text
    stored = await desk.stored_hours()
    assert stored is not None
    assert stored.weekly == "mon-fri 09:00-12:00,13:00-16:00; sat 10:00-12:00"
    assert (stored.meeting_minutes, stored.buffer_minutes) == (30, 10)

    await desk.sara.say("/hours")
    shown = await desk.sara.next_message()
    assert "måndag–fredag 09:00–12:00, 13:00–16:00; lördag 10:00–12:00" in shown.text
    # What she typed, tidied, ready to copy and change.
    assert "/hours mon-fri 09:00-12:00,13:00-16:00; sat 10:00-12:00" in shown.text
    # The next three public holidays on her working days (Saturdays too), in Swedish.
    assert "Julafton; fre 25 dec. – Juldagen; lör 26 dec. – Annandag jul." in shown.text


WRONG = [
    ("mun-fri 09:00-12:00", HoursProblem.UNKNOWN_DAY, "mun"),
    ("mon-fri 09:00-25:00", HoursProblem.NOT_A_TIME, "25:00"),
    ("fri-mon 09:00-12:00", HoursProblem.BACKWARD_DAYS, "fri-mon"),
    ("mon 12:00-09:00", HoursProblem.END_NOT_AFTER_START, "12:00-09:00"),
    ("mon 09:00-12:00,11:00-13:00", HoursProblem.OVERLAP, "09:00-12:00,11:00-13:00"),
]


async def test_a_wrong_notation_says_which_part_in_the_staff_language_and_changes_nothing(
    desk: Desk,
) -> None:
    await desk.sara.say(f"/hours {OFFICE}")
    await desk.sara.next_message()
    for typed, problem, part in WRONG:
        await desk.sara.say(f"/hours {typed}")
        answer = await desk.sara.next_message()
        # In the staff language (Swedish), not Sara's Telegram language (English).
        assert "Dina tider är inte ändrade." in answer.text
        assert sv("Your hours are not changed.") in answer.text
        assert sv(staff_hours.PROBLEMS[problem], part=part) in answer.text
        assert f"/hours {staff_hours.EXAMPLE}" in answer.text
    stored = await desk.stored_hours()
    assert stored is not None and stored.weekly == OFFICE


async def test_one_date_gets_its_own_hours_when_typed(desk: Desk) -> None:
    await desk.sara.say(f"/hours {OFFICE}")
    await desk.sara.next_message()
    await desk.sara.say("/hours 2026-12-24 10:00-14:00")
    done = await desk.sara.next_message()
    assert (
        sv(
            "On {day} you take calls {hours}. Residents can book them.",
            day=day_label(CHRISTMAS_EVE),
            hours="10:00-14:00",
        )
        in done.text
    )
    assert await desk.stored_days() == [(CHRISTMAS_EVE, "open", "10:00-14:00")]
    await desk.sara.say("/hours 2026-12-32 10:00-14:00")
    wrong = await desk.sara.next_message()
    assert sv("“{part}” is not a date. Write it like 2026-12-24.", part="2026-12-32") in wrong.text
    await desk.sara.say("/hours 2026-12-01 10:00-14:00")  # before today
    assert sv("That day has passed.") in (await desk.sara.next_message()).text
    assert await desk.stored_days() == [(CHRISTMAS_EVE, "open", "10:00-14:00")]


# --- buttons -------------------------------------------------------------------------------


async def test_call_length_and_time_between_calls_are_chosen_with_buttons(desk: Desk) -> None:
    await desk.sara.say(f"/hours {OFFICE}")
    await desk.sara.next_message()
    await desk.sara.say("/hours")
    shown = await desk.sara.next_message()
    question = await press_and_see(desk.sara, sv("Call length"), shown)
    assert sv("How long is a call?") in question.text
    assert sv("✓ {minutes} min", minutes="30") in question.button_texts
    shown = await press_and_see(desk.sara, sv("{minutes} min", minutes="45"), question)
    assert sv("Calls now last {meeting}.", meeting=Text.of("{minutes} min", minutes="45")) in (
        shown.text
    )
    question = await press_and_see(desk.sara, sv("Time between calls"), shown)
    await press_and_see(desk.sara, sv("{minutes} min", minutes="5"), question)
    stored = await desk.stored_hours()
    assert stored is not None
    assert (stored.weekly, stored.meeting_minutes, stored.buffer_minutes) == (OFFICE, 45, 5)


async def test_days_off_and_a_holiday_worked_are_chosen_with_buttons(desk: Desk) -> None:
    await desk.sara.say(f"/hours {OFFICE}")
    await desk.sara.next_message()
    await desk.sara.say("/hours")
    shown = await desk.sara.next_message()

    question = await press_and_see(desk.sara, sv("Day off"), shown)
    # A week of her working days from today: no weekend.
    working = [date(2026, 12, d) for d in (14, 15, 16, 17, 18, 21, 22)]
    assert [label for label in question.button_texts if label in map(day_label, working)] == [
        day_label(d) for d in working
    ]
    later = await press_and_see(desk.sara, sv("Later days ›"), question)
    assert day_label(date(2026, 12, 23)) in later.button_texts
    assert day_label(CHRISTMAS_EVE) not in later.button_texts  # a holiday: already off
    await desk.book_call(datetime(2026, 12, 28, 10, 0, tzinfo=STOCKHOLM))
    shown = await press_and_see(desk.sara, day_label(date(2026, 12, 28)), later)
    # A call booked before stays booked, and she is told so.
    assert (
        sv("Calls already booked that day stay booked. If you are sick, choose Sick day.")
        in shown.text
    )
    assert (
        sv(
            "{day} is a day off. No one can book a call with you then.",
            day=day_label(date(2026, 12, 28)),
        )
        in shown.text
    )

    question = await press_and_see(desk.sara, sv("Work on a holiday"), shown)
    assert question.button_texts[:3] == [
        f"{day_label(CHRISTMAS_EVE)} – Julafton",
        f"{day_label(date(2026, 12, 25))} – Juldagen",
        f"{day_label(date(2026, 12, 31))} – Nyårsafton",
    ]
    shown = await press_and_see(desk.sara, question.button_texts[0], question)
    assert await desk.stored_days() == [
        (CHRISTMAS_EVE, "open", "09:00-12:00,13:00-16:00"),
        (date(2026, 12, 28), "off", ""),
    ]
    async with desk.nara.db.session() as session:
        availability = await hours.availability_of(session, await desk.staff_id())
    assert availability is not None
    now = START.astimezone(UTC)
    holidays = desk.nara.settings.public_holidays
    assert free_times(availability, [], now, STOCKHOLM, holidays, on=CHRISTMAS_EVE)
    assert not free_times(availability, [], now, STOCKHOLM, holidays, on=date(2026, 12, 28))
    assert not free_times(availability, [], now, STOCKHOLM, holidays, on=date(2026, 12, 25))

    question = await press_and_see(desk.sara, sv("Usual hours again"), shown)
    assert question.button_texts[:2] == [day_label(CHRISTMAS_EVE), day_label(date(2026, 12, 28))]
    await press_and_see(desk.sara, day_label(date(2026, 12, 28)), question)
    assert await desk.stored_days() == [(CHRISTMAS_EVE, "open", "09:00-12:00,13:00-16:00")]


async def test_a_sick_day_is_asked_once_then_cancels_that_day_s_calls_and_tells_each_resident(
    desk: Desk,
) -> None:
    await desk.sara.say(f"/hours {OFFICE}")
    await desk.sara.next_message()
    await desk.amal.say("/start")
    await desk.amal.next_message()
    today_call = await desk.book_call(datetime(2026, 12, 14, 13, 0, tzinfo=STOCKHOLM))
    tomorrow_call = await desk.book_call(datetime(2026, 12, 15, 9, 0, tzinfo=STOCKHOLM))
    await desk.sara.say("/hours")
    shown = await desk.sara.next_message()
    question = await press_and_see(desk.sara, sv("Sick day"), shown)
    today = sv("Today, {day}", day=day_label(MONDAY))
    assert question.button_texts[:2] == [
        today,
        sv("Tomorrow, {day}", day=day_label(date(2026, 12, 15))),
    ]
    confirm = await press_and_see(desk.sara, today, question)
    assert sv("Sick on {day}?", day=day_label(MONDAY)) in confirm.text
    assert await desk.stored_days() == []  # nothing until she says yes
    assert await desk.statuses() == {today_call: "booked", tomorrow_call: "booked"}
    done = await press_and_see(desk.sara, sv("Yes, I am sick"), confirm)
    assert sv("Get well soon.") in done.text
    assert sv("Calls cancelled, residents told: {count}.", count="1") in done.text
    assert await desk.stored_days() == [(MONDAY, "sick", "")]
    assert await desk.statuses() == {today_call: "cancelled", tomorrow_call: "booked"}
    told = await desk.amal.next_message()
    assert "Sara" in told.text and "13:00" in told.text and "15 dec" not in told.text
    # Pressed again (an old screen): nothing is cancelled twice, no second message.
    again = await desk.sara.forge_callback(confirm, "hours:sickyes:2026-12-14")
    assert (await desk.sara.callback_answer(again))["answered"]
    await desk.sara.say("/hours")  # handled after the press: her chat is handled in order
    await desk.sara.next_message()
    async with desk.nara.db.session() as session:
        # Written with each cancellation and its message to the resident.
        audited = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "booking-cancel")
        )
        assert list(audited) == ["booking-cancel"]


async def test_an_old_day_button_does_nothing(desk: Desk) -> None:
    await desk.sara.say(f"/hours {OFFICE}")
    await desk.sara.next_message()
    await desk.sara.say("/hours")
    shown = await desk.sara.next_message()
    press = await desk.sara.forge_callback(shown, "hours:sickyes:2026-12-01")
    assert (await desk.sara.callback_answer(press))["answered"]
    refused = await desk.sara.next_edit(shown)
    while sv("That day has passed.") not in (refused.text or ""):
        refused = await desk.sara.next_edit(refused)
    assert await desk.stored_days() == []


async def test_the_municipality_s_country_decides_the_holidays_in_the_staff_language(
    telegram: LocalTelegram, tg: SandboxClient, sqlite_url: str
) -> None:
    """In Finland New Year's Eve is a working day; holidays are named in Finnish."""
    clock = MovableClock()
    clock.advance(START - clock())
    settings = bot_settings(
        telegram.url, sqlite_url, country="fi", staff_locale="fi", timezone="Europe/Helsinki"
    )
    assert settings.country == "FI"
    sanna = await tg.add_user("Sanna", language_code="fi")
    async with running_bot(settings, clock=clock) as nara:
        async with nara.db.session() as session, session.begin():
            await queries.add_staff_member(
                session, telegram_user_id=sanna.id, name="Sanna", role="caseworker", now=START
            )
        await sanna.say(f"/hours {OFFICE}")
        done = await sanna.next_message()
        assert "maanantai–perjantai 09:00–12:00, 13:00–16:00" in done.text
        await sanna.say("/hours")
        shown = await sanna.next_message()
    fi = [format_skeleton("MMMEd", d, locale="fi") for d in (CHRISTMAS_EVE, date(2026, 12, 25))]
    new_year = format_skeleton("MMMEd", date(2027, 1, 1), locale="fi")
    assert (
        f"{fi[0]} – Jouluaatto; {fi[1]} – Joulupäivä; {new_year} – Uudenvuodenpäivä" in shown.text
    )


def test_an_unknown_country_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"^NARA_COUNTRY: "):
        load_settings(country="XX")


async def test_hours_are_set_from_the_sandbox_staff_pane(tmp_path: Path) -> None:
    """The staff pane's private chat is Sara's own chat with the bot, as on Telegram."""
    async with (
        running_sandbox(sandbox_settings(tmp_path)) as sandbox,
        SandboxClient(sandbox.url, timeout=30.0) as client,
    ):
        sara = await client.user(sandbox.staff_ids["Sara"])
        await sara.say(f"/hours {OFFICE}")
        done = await sara.next_message()
        assert sv("Your weekly hours are now:") in done.text
        await sara.say("/hours")
        shown = await sara.next_message()
        question = await press_and_see(sara, sv("Call length"), shown)
        await press_and_see(sara, sv("{minutes} min", minutes="20"), question)
        async with sandbox.nara.db.session() as session:
            member = await queries.active_staff_member(session, sara.id)
            assert member is not None
            availability = await hours.availability_of(session, member.id)
    assert availability is not None
    assert (availability.weekly, availability.meeting_minutes) == (WeeklyHours.parse(OFFICE), 20)


# --- staff only ------------------------------------------------------------------------------


async def test_to_a_resident_hours_is_an_unknown_command_and_its_buttons_do_nothing(
    desk: Desk,
) -> None:
    await desk.amal.say("/hours")
    answer = await desk.amal.next_message()
    assert answer.text == plain(welcome.unknown_command().paragraphs[0], "sv")
    press = await desk.amal.forge_callback(answer, "hours:meet:45")
    assert (await desk.amal.callback_answer(press))["text"] == plain(welcome.unknown_button(), "sv")
    await desk.amal.say("/hours mon-fri 09:00-12:00")
    assert (await desk.amal.next_message()).text == plain(
        welcome.unknown_command().paragraphs[0], "sv"
    )
    assert await desk.amal.unread_messages() == []
    async with desk.nara.db.session() as session:
        assert await hours.staff_with_hours(session) == []


async def test_the_staff_role_is_checked_in_the_database_on_every_use(desk: Desk) -> None:
    await desk.sara.say("/hours")
    shown = await desk.sara.next_message()
    async with desk.nara.db.session() as session, session.begin():
        assert await queries.remove_staff_member(session, desk.sara.id, START)
    press = await desk.sara.press(sv("Call length"), message=shown)
    answer = await desk.sara.callback_answer(press)
    assert answer["text"] == plain(welcome.unknown_button(), "en")
    await desk.sara.say(f"/hours {OFFICE}")
    assert (await desk.sara.next_message()).text == plain(
        welcome.unknown_command().paragraphs[0], "en"
    )
    async with desk.nara.db.session() as session, session.begin():
        await queries.add_staff_member(
            session, telegram_user_id=desk.sara.id, name="Sara", role="caseworker", now=START
        )
    assert await desk.stored_hours() is None  # nothing was set while she was not staff
    await desk.sara.say(f"/hours {OFFICE}")
    assert sv("Your weekly hours are now:") in (await desk.sara.next_message()).text


async def test_staff_see_hours_in_their_menu(desk: Desk) -> None:
    assert "hours" in [command["command"] for command in await desk.sara.commands()]
    assert "hours" not in [command["command"] for command in await desk.amal.commands()]


# --- the command line ------------------------------------------------------------------------


def nara(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.fixture
def cli_env(any_database_url: str, tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    values["NARA_DATA_DIR"] = str(tmp_path)
    values["NARA_DATABASE_URL"] = any_database_url
    return values


async def test_nara_staff_hours_sets_shows_and_refuses_with_the_part_named(
    cli_env: dict[str, str],
) -> None:
    assert (
        nara("staff", "add", "--telegram-id", "4242", "--name", "Sara", env=cli_env).returncode == 0
    )
    done = nara(
        "staff",
        "hours",
        "--telegram-id",
        "4242",
        "--weekly",
        OFFICE,
        "--meeting-minutes",
        "45",
        "--buffer-minutes",
        "5",
        env=cli_env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert OFFICE in done.stdout and "45 min" in done.stdout and "5 min between" in done.stdout

    resident_chat = await _book_a_call(cli_env, datetime(2099, 1, 5, 10, 0, tzinfo=STOCKHOLM))
    days = nara(
        "staff",
        "hours",
        "--telegram-id",
        "4242",
        "--day-off",
        "2099-01-02",
        "--sick",
        "2099-01-05",
        "--open",
        "2099-01-06",
        "10:00-12:00",
        "--window-days",
        "21",
        env=cli_env,
    )
    assert days.returncode == 0, days.stderr
    assert "calls cancelled on sick days: 1 (each resident is told)" in days.stdout
    cancelled, told = await _call_and_messages(cli_env, resident_chat)
    # The resident's message and calendar file wait in the outbox for the running bot.
    assert cancelled == "cancelled" and told == ["sendMessage", "sendDocument"]
    shown = nara("staff", "hours", "--telegram-id", "4242", "--show", env=cli_env)
    assert shown.stdout.count("\n") == 1
    assert OFFICE in shown.stdout and "21 days" in shown.stdout and "45 min" in shown.stdout
    assert "2099-01-02 off, 2099-01-05 sick, 2099-01-06 open 10:00-12:00" in shown.stdout

    for args, option, part in [
        (("--weekly", "mun-fri 09:00-12:00"), "--weekly", '"mun"'),
        (("--weekly", "mon-fri 09:00-24:30"), "--weekly", '"24:30"'),
        (
            ("--weekly", "mon 09:00-12:00,11:00-13:00"),
            "--weekly",
            '"09:00-12:00" and "11:00-13:00"',
        ),
        (("--meeting-minutes", "0"), "--meeting-minutes", "5 to 240"),
        (("--open", "2099-02-30", "10:00-12:00"), "--open", '"2099-02-30"'),
        (("--open", "2099-02-03", "10-12"), "--open", '"10-12"'),
        (("--day-off", "tomorrow"), "--day-off", '"tomorrow"'),
    ]:
        wrong = nara("staff", "hours", "--telegram-id", "4242", *args, env=cli_env)
        assert wrong.returncode == 2, (args, wrong.stderr)
        assert option in wrong.stderr and part in wrong.stderr, wrong.stderr
        assert "Traceback" not in wrong.stderr
    after = nara("staff", "hours", "--telegram-id", "4242", "--show", env=cli_env)
    assert after.stdout == shown.stdout  # nothing changed

    nobody = nara("staff", "hours", "--telegram-id", "777", "--weekly", OFFICE, env=cli_env)
    assert nobody.returncode == 1 and "777" in nobody.stderr
    nothing = nara("staff", "hours", "--telegram-id", "4242", env=cli_env)
    assert nothing.returncode == 2 and "--show" in nothing.stderr


async def test_nara_staff_hours_stores_what_booking_reads(cli_env: dict[str, str]) -> None:
    nara("staff", "add", "--telegram-id", "4242", "--name", "Sara", env=cli_env)
    result = nara(
        "staff",
        "hours",
        "--telegram-id",
        "4242",
        "--weekly",
        "mon-fri 09:00-10:00",
        "--notice-minutes",
        "0",
        "--day-off",
        "2026-12-16",
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr

    database = Database(cli_env["NARA_DATABASE_URL"])
    try:
        async with database.session() as session:
            member = await queries.active_staff_member(session, 4242)
            assert member is not None
            availability = await hours.availability_of(session, member.id)
    finally:
        await database.close()
    assert availability is not None
    assert availability.weekly == WeeklyHours.parse("mon-fri 09:00-10:00")
    now = datetime(2026, 12, 14, 7, 0, tzinfo=UTC)
    times = free_times(availability, [], now, STOCKHOLM, frozenset())
    assert [t.isoformat(timespec="minutes") for t in times[:3]] == [
        "2026-12-14T09:00+01:00",
        "2026-12-15T09:00+01:00",
        "2026-12-17T09:00+01:00",  # not Wednesday, her day off
    ]


async def _book_a_call(env: dict[str, str], start: datetime) -> int:
    """Give Sara (4242) one booked call with a resident; return the resident's chat id."""
    database = Database(env["NARA_DATABASE_URL"])
    try:
        async with database.session() as session, session.begin():
            member = await queries.active_staff_member(session, 4242)
            resident, _ = await queries.meet_resident(
                session, telegram_user_id=55, chat_id=55, locale="sv", now=START
            )
            assert member is not None
            session.add(
                Booking(
                    resident_id=resident.id,
                    staff_id=member.id,
                    start_at=start,
                    minutes=30,
                    how="phone",
                    status="booked",
                    uid="cli-test-call",
                    sequence=0,
                    created_at=START,
                    updated_at=START,
                )
            )
    finally:
        await database.close()
    return 55


async def _call_and_messages(env: dict[str, str], chat_id: int) -> tuple[str, list[str]]:
    database = Database(env["NARA_DATABASE_URL"])
    try:
        async with database.session() as session:
            status = await session.scalar(select(Booking.status))
            methods = await session.scalars(
                select(OutboxMessage.method)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
            return str(status), list(methods)
    finally:
        await database.close()
