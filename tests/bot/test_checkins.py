"""Follow-up check-ins end to end: offer, consent, the time of day, answers, stop, outages.

The real bot over HTTP against our Telegram-compatible server, on SQLite and PostgreSQL.
The bot's clock starts at 10:00 on a Monday in Stockholm and is moved, never waited for;
the command line and the SIGKILL test run ``nara`` as real processes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app.runtime import Nara
from bot.core.i18n import written_day
from flows.calls.availability import WeeklyHours
from storage import checkins, contacts, hours, queries
from storage.models import CheckinAnswer, CheckinPlan, Timer
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
from tgserver.client import ChatMessage, SandboxGroup, SandboxUser

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Europe/Stockholm")
HOW_ARE_THINGS_SV = "Hur har du det nu?"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE)


def _monday_ahead(now: datetime) -> date:
    day = now.astimezone(ZONE).date() + timedelta(days=2)
    while day.weekday() != 0:
        day += timedelta(days=1)
    return day


@dataclass
class Desk:
    """A running bot on a movable clock, a staff group, Sara (caseworker) and Jonas."""

    nara: Nara
    clock: MovableClock
    telegram: LocalTelegram
    group: SandboxGroup
    monday: date
    sara: SandboxUser
    jonas: SandboxUser
    staff_ids: dict[str, int]
    database_url: str

    def at(self, days: int, hour: int, minute: int = 0) -> datetime:
        return local(self.monday + timedelta(days=days), hour, minute)

    def move_to(self, moment: datetime) -> None:
        self.clock.advance(moment - self.clock())

    async def resident(self, tg: SandboxClient, name: str, language: str) -> SandboxUser:
        person = await tg.add_user(name, language_code=language)
        await person.say("/start")
        await person.next_message()
        return person

    async def link(self, person: SandboxUser, staff: str) -> None:
        async with self.nara.db.session() as session, session.begin():
            found = await queries.find_resident(session, person.id)
            assert found is not None
            assert await contacts.hand_over(
                session,
                resident_id=found.id,
                from_staff_id=None,
                to_staff_id=self.staff_ids[staff],
                now=self.clock(),
            )

    async def offer(self, person: SandboxUser, plan: str = "after-support") -> None:
        """Offer a plan as ``nara checkins offer`` does (in the bot's own process and clock)."""
        from bot.calls.checkins import offer

        async with self.nara.db.session() as session, session.begin():
            found = await queries.find_resident(session, person.id)
            assert found is not None
            why = await offer(
                session, self.nara.settings, found, plan, staff=None, now=self.clock()
            )
            assert why is None

    async def plan_of(self, person: SandboxUser) -> CheckinPlan | None:
        async with self.nara.db.session() as session:
            found = await queries.find_resident(session, person.id)
            assert found is not None
            return await session.scalar(
                select(CheckinPlan)
                .where(CheckinPlan.resident_id == found.id)
                .order_by(CheckinPlan.id.desc())
            )

    async def answers(self, plan_id: int) -> list[CheckinAnswer]:
        async with self.nara.db.session() as session:
            return list(
                await session.scalars(
                    select(CheckinAnswer)
                    .where(CheckinAnswer.plan_id == plan_id)
                    .order_by(CheckinAnswer.step)
                )
            )


@pytest.fixture
async def desk(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> AsyncIterator[Desk]:
    sara = await tg.add_user("Sara", language_code="sv")
    jonas = await tg.add_user("Jonas", language_code="sv")
    group = await tg.add_group("Socialtjänsten", [sara, jonas])
    clock = MovableClock()
    monday = _monday_ahead(clock())
    clock.advance(local(monday, 10) - clock())
    settings = bot_settings(
        telegram.url,
        any_database_url,
        timezone="Europe/Stockholm",
        staff_locale="sv",
        staff_chat_id=group.id,
    )
    async with running_bot(settings, clock) as nara:
        await register_staff(nara, (sara, "Sara Lind", "caseworker"), (jonas, "Jonas", "supervisor"))
        ids = {}
        async with nara.db.session() as session, session.begin():
            for user, name in ((sara, "Sara"), (jonas, "Jonas")):
                member = await queries.active_staff_member(session, user.id)
                assert member is not None
                ids[name] = member.id
            await hours.set_hours(
                session, ids["Sara"], now=clock(), weekly=WeeklyHours.parse("mon-fri 09:00-16:00")
            )
        for person in (sara, jonas):
            await person.say("/start")
            await person.next_message()
        yield Desk(nara, clock, telegram, group, monday, sara, jonas, ids, any_database_url)


async def until(read: Callable[[], Awaitable[object]], wanted: object) -> None:
    """Wait until the database shows ``wanted`` (a failsafe ends the test)."""
    for _ in range(600):
        if await read() == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never became {wanted!r}")


async def consent(desk: Desk, person: SandboxUser, time_of_day: int = 0) -> ChatMessage:
    """Say yes to the offer waiting in the chat and pick a time of day; return the reply."""
    offer = await person.next_message()
    await person.press(offer.button_texts[0], message=offer)
    when = await person.next_message()
    assert len(when.button_texts) == 3
    await person.press(when.button_texts[time_of_day], message=when)
    return await person.next_message()


async def test_offer_consent_checkin_and_a_bad_answer_reaching_the_contact(
    desk: Desk, tg: SandboxClient
) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    await desk.link(amal, "Sara")
    await desk.offer(amal)
    offer = await amal.next_message()
    # Plain: what comes, who reads the answers (by first name), that it is a program, how to stop.
    assert "Uppföljning när ditt stöd har avslutats" in offer.text
    assert "Sara" in offer.text and "sluta" in offer.text and "112" in offer.text
    assert offer.button_texts[0] == "Ja tack"
    # Nothing is scheduled before the resident says yes.
    plan = await desk.plan_of(amal)
    assert plan is not None and plan.status == "offered" and plan.next_due is None

    await amal.press("Ja tack", message=offer)
    when = await amal.next_message()
    assert when.button_texts == ["Morgon (runt 9)", "Mitt på dagen (runt 12)", "Kväll (runt 18)"]
    await amal.press("Mitt på dagen (runt 12)", message=when)
    started = await amal.next_message()
    first = desk.monday + timedelta(weeks=1)
    assert written_day(first, "sv") in started.text
    plan = await desk.plan_of(amal)
    assert plan is not None and plan.status == "active"
    assert plan.next_due is not None
    assert plan.next_due.replace(tzinfo=plan.next_due.tzinfo or UTC) == desk.at(7, 12)

    # The first check-in comes a week later at midday: the question, five faces, call, stop.
    desk.move_to(desk.at(7, 12) + timedelta(seconds=1))
    checkin = await amal.next_message()
    assert HOW_ARE_THINGS_SV in checkin.text
    assert len(checkin.button_texts) == 7
    assert checkin.button_texts[0].startswith("😞") and checkin.button_texts[4].startswith("😄")
    assert "Sara" in checkin.button_texts[5]
    assert checkin.button_texts[6] == "Stoppa uppföljningen"

    # Very bad: Sara hears at once, in Swedish, with an "Offer a call" button.
    await amal.press(checkin.button_texts[0], message=checkin)
    thanks = await amal.next_message()
    assert "Tack för ditt svar." in thanks.text and "Sara" in thanks.text and "112" in thanks.text
    alert = await desk.sara.next_message()
    assert "Amal" in alert.text and alert.button_texts == ["Erbjud ett samtal"]
    # A second press of the same check-in (an old copy of its buttons) changes nothing.
    await amal.forge_callback(checkin, f"ci:a:{plan.id}:0:5")
    assert "redan svarat" in (await amal.next_message()).text
    (answer,) = await desk.answers(plan.id)
    assert answer.answer == "1"

    # Sara offers a call: Amal gets Sara's free days at once, in Swedish.
    await desk.sara.press("Erbjud ett samtal", message=alert)
    days = await amal.next_message()
    assert "Sara" in days.text and days.button_texts

    # A few words to the check-in are kept (scrubbed) and Sara will read them.
    await amal.say("det är tungt men ring mig på 070-123 45 67")
    assert "Sara" in (await amal.next_message()).text
    await until(lambda: _words(desk, plan.id), "det är tungt men ring mig på [number]")


async def _words(desk: Desk, plan_id: int) -> str | None:
    rows = await desk.answers(plan_id)
    return rows[0].words if rows else None


async def test_a_checkin_due_at_night_waits_for_the_morning(
    desk: Desk, tg: SandboxClient
) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    await desk.offer(amal, "continued-contact")
    await consent(desk, amal, time_of_day=2)  # evening, 18:00
    plan = await desk.plan_of(amal)
    assert plan is not None and plan.next_due is not None
    # The bot was down over the evening; it comes back at 22:30, inside the quiet hours.
    desk.move_to(desk.at(7, 22, 30))
    await until(lambda: _next_due(desk, amal), desk.at(8, 8))
    assert await amal.unread_messages() == []
    desk.move_to(desk.at(8, 8) + timedelta(seconds=1))
    assert HOW_ARE_THINGS_SV in (await amal.next_message()).text


async def _next_due(desk: Desk, person: SandboxUser) -> datetime | None:
    plan = await desk.plan_of(person)
    if plan is None or plan.next_due is None:
        return None
    return plan.next_due.replace(tzinfo=plan.next_due.tzinfo or UTC).astimezone(ZONE)


async def test_an_urgent_answer_to_a_checkin_takes_the_urgent_path(
    desk: Desk, tg: SandboxClient
) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    await desk.offer(amal)
    await consent(desk, amal)
    desk.move_to(desk.at(7, 9) + timedelta(seconds=1))
    assert HOW_ARE_THINGS_SV in (await amal.next_message()).text
    await amal.say("jag har tagit alla mina tabletter och vill inte leva längre")
    safety = await amal.next_message()
    assert "112" in safety.text
    card = await desk.group.next_message()
    assert "Amal" in card.text or "ärende" in card.text.lower()
    plan = await desk.plan_of(amal)
    assert plan is not None
    (row,) = await desk.answers(plan.id)
    # The urgent words went to the case, not into the check-in's answers.
    assert row.words is None


@pytest.mark.parametrize(
    ("language", "stop"), [("so", "jooji"), ("ar", "توقف")], ids=["somali", "arabic"]
)
async def test_stop_in_the_residents_own_words(
    desk: Desk, tg: SandboxClient, language: str, stop: str
) -> None:
    person = await desk.resident(tg, "Hodan", language)
    await desk.offer(person)
    await consent(desk, person)
    await person.say(stop)
    await person.next_message()
    await until(lambda: _status(desk, person), "stopped")
    plan = await desk.plan_of(person)
    assert plan is not None
    async with desk.nara.db.session() as session:
        pending = await session.scalar(
            select(Timer.id).where(Timer.checkin_id == plan.id, Timer.done_at.is_(None))
        )
    assert pending is None
    desk.move_to(desk.at(7, 9) + timedelta(seconds=1))
    await person.say("/checkins")
    assert (await person.next_message()).button_texts == []


async def _status(desk: Desk, person: SandboxUser) -> str | None:
    plan = await desk.plan_of(person)
    return plan.status if plan is not None else None


async def test_pause_and_resume_from_checkins(desk: Desk, tg: SandboxClient) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    await desk.offer(amal)
    await consent(desk, amal)
    await amal.say("/checkins")
    status = await amal.next_message()
    assert written_day(desk.monday + timedelta(weeks=1), "sv") in status.text
    assert status.button_texts == ["Pausa", "Stoppa uppföljningen"]
    await amal.press("Pausa", message=status)
    await amal.next_message()
    assert await _status(desk, amal) == "paused"
    # Paused over two steps' days: nothing comes, and on resume they are skipped.
    desk.move_to(desk.at(15, 10))
    await amal.say("/checkins")
    paused = await amal.next_message()
    assert paused.button_texts == ["Fortsätt", "Stoppa uppföljningen"]
    await amal.press("Fortsätt", message=paused)
    resumed = await amal.next_message()
    assert written_day(desk.monday + timedelta(weeks=4), "sv") in resumed.text
    assert await _status(desk, amal) == "active"


async def test_a_resident_who_blocked_the_bot_has_the_plan_paused(
    desk: Desk, tg: SandboxClient
) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    await desk.offer(amal)
    await consent(desk, amal)
    await amal.block()
    desk.move_to(desk.at(7, 9) + timedelta(seconds=1))
    await until(lambda: _status(desk, amal), "paused")
    plan = await desk.plan_of(amal)
    assert plan is not None and await desk.answers(plan.id) == []


async def test_closing_a_case_offers_checkins_and_forget_removes_them(
    desk: Desk, tg: SandboxClient
) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    await amal.say("/person")
    await amal.next_message()
    card = await desk.group.next_message()
    await desk.sara.press(card.button_texts[0], message=card, chat=desk.group)
    await desk.sara.say("/close")
    choose: ChatMessage | None = None
    for _ in range(4):
        message = await desk.sara.next_message()
        if "Uppföljning när ditt stöd har avslutats" in message.button_texts:
            choose = message
            break
    assert choose is not None
    await desk.sara.press("Uppföljning när ditt stöd har avslutats", message=choose)
    assert "Uppföljning erbjuden" in (await desk.sara.next_message()).text
    offer = None
    for _ in range(3):
        message = await amal.next_message()
        if message.button_texts[:1] == ["Ja tack"]:
            offer = message
            break
    assert offer is not None
    await amal.press("Ja tack", message=offer)
    when = await amal.next_message()
    await amal.press(when.button_texts[0], message=when)
    await amal.next_message()
    assert await _status(desk, amal) == "active"

    await amal.say("/forget")
    ask = await amal.next_message()
    await amal.press(ask.button_texts[0], message=ask)
    await amal.next_message()
    rows = await query(desk.database_url, "SELECT count(*) FROM checkin_plans")
    assert rows[0][0] == 0


async def test_the_morning_digest_lists_answers_and_silence(
    desk: Desk, tg: SandboxClient
) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    await desk.link(amal, "Sara")
    await desk.offer(amal)
    await consent(desk, amal)
    desk.move_to(desk.at(7, 9) + timedelta(seconds=1))
    checkin = await amal.next_message()
    await amal.press(checkin.button_texts[3], message=checkin)
    await amal.next_message()
    desk.move_to(desk.at(8, 8, 30) + timedelta(seconds=1))
    digest = await desk.sara.next_message()
    plan = await desk.plan_of(amal)
    assert plan is not None
    assert f"#{plan.resident_id}" in digest.text


def nara_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env["NARA_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_nara_checkins_offer_prints_one_line(desk: Desk, tg: SandboxClient) -> None:
    amal = await desk.resident(tg, "Amal", "sv")
    done = await asyncio.to_thread(
        nara_cli,
        "checkins", "offer", "--chat-id", str(amal.id), "--plan", "after-crisis",
        database_url=desk.database_url,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("offered: after-crisis") and done.stdout.count("\n") == 1
    # The running bot's courier delivers the offer from the shared outbox.
    offer = await amal.next_message()
    assert "Meddelanden med omtanke efter en svår tid" in offer.text
    again = await asyncio.to_thread(
        nara_cli,
        "checkins", "offer", "--chat-id", str(amal.id), "--plan", "after-support",
        database_url=desk.database_url,
    )
    assert again.returncode == 1 and again.stdout.startswith("not offered: ")
    unknown = await asyncio.to_thread(
        nara_cli,
        "checkins", "offer", "--chat-id", "999999", "--plan", "after-support",
        database_url=desk.database_url,
    )
    assert unknown.returncode == 1 and "no resident" in unknown.stdout


@pytest.mark.slow
async def test_a_checkin_survives_a_sigkill_between_scheduling_and_sending(
    telegram: LocalTelegram, tg: SandboxClient, tmp_path: Path, any_database_url: str
) -> None:
    """The timer is taken and the check-in queued while Telegram refuses every message;
    the process is killed; a new one delivers the check-in exactly once."""
    amal = await tg.add_user("Amal", language_code="sv")
    clock = MovableClock()
    # Said yes eight days ago in the morning: the first check-in (day 7, 09:00) is due now.
    clock.advance(-timedelta(days=8))
    settings = bot_settings(telegram.url, any_database_url, timezone="Europe/Stockholm",
                            quiet_hours="00:00-00:00")
    async with running_bot(settings, clock) as nara:
        await amal.say("/start")
        await amal.next_message()
        async with nara.db.session() as session, session.begin():
            resident = await queries.find_resident(session, amal.id)
            assert resident is not None
            plan = await checkins.offer(
                session, resident_id=resident.id, plan="continued-contact", staff_id=None,
                now=clock(),
            )
            assert plan is not None
            due = datetime.now(UTC) - timedelta(minutes=5)
            assert await checkins.start(
                session, plan, time_of_day="morning", now=clock(), first=due
            )
            plan_id = plan.id

    async def pending() -> int:
        rows = await query(
            any_database_url,
            f"SELECT count(*) FROM timers WHERE checkin_id = {plan_id} AND due_at <= "
            f"'{datetime.now(UTC).isoformat()}' AND done_at IS NULL",
        )
        return int(rows[0][0])

    refused = telegram.world.faults.fail_next("sendMessage", count=10_000, status=502)
    process = BotProcess(
        telegram_url=telegram.url,
        database_url=any_database_url,
        log_path=tmp_path / "bot.log",
        webhook=False,
    )
    process.env["NARA_QUIET_HOURS"] = "00:00-00:00"
    await process.start()
    await BotProcess.wait_until(lambda: (refused.count or 0) < 10_000, "the check-in to be tried")
    await process.kill_and_fence(telegram)
    telegram.world.faults.clear()
    assert await pending() == 0  # taken, and the next step scheduled a week on
    assert await amal.unread_messages() == []
    await process.start()
    checkin = await amal.next_message()
    assert HOW_ARE_THINGS_SV in checkin.text

    async def outbox_empty() -> bool:
        rows = await query(any_database_url, "SELECT count(*) FROM outbox WHERE failed_at IS NULL")
        return int(rows[0][0]) == 0

    await BotProcess.wait_until(outbox_empty, "the outbox to be delivered")
    assert process.terminate() == 0
    assert await amal.unread_messages() == []
    rows = await query(
        any_database_url, f"SELECT count(*) FROM checkin_answers WHERE plan_id = {plan_id}"
    )
    assert rows[0][0] == 1
