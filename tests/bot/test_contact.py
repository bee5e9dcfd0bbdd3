"""A resident's own contact person end to end: invite links, /contact, handovers, staff leaving.

The real bot over HTTP against our Telegram-compatible server (whose getMe names the
bot ``nara_test_bot``), on SQLite and on PostgreSQL; the command line runs as its own
process against the same database, as an operator would run it.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app.runtime import Nara
from storage import casework, contacts, queries
from storage.contacts import new_code
from storage.models import AuditEntry, OutboxMessage, StartSource
from tests.bot.harness import (
    TOKEN,
    LocalTelegram,
    MovableClock,
    bot_settings,
    register_staff,
    running_bot,
)
from tests.bot.processes import BotProcess
from tgserver import SandboxClient
from tgserver.client import ChatMessage, SandboxGroup, SandboxUser

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"https://t\.me/nara_test_bot\?start=(c-[A-Za-z0-9_-]+)")


@dataclass
class Team:
    """A running bot on a movable clock, a staff group, and three staff members."""

    nara: Nara
    clock: MovableClock
    group: SandboxGroup
    sara: SandboxUser  # caseworker, registered as "Sara Lind"
    jonas: SandboxUser  # supervisor
    mira: SandboxUser  # caseworker
    telegram_url: str
    database_url: str


@pytest.fixture
async def team(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> AsyncIterator[Team]:
    sara = await tg.add_user("Sara", language_code="sv")
    jonas = await tg.add_user("Jonas", language_code="sv")
    mira = await tg.add_user("Mira", language_code="sv")
    group = await tg.add_group("Socialtjänsten – ärenden", [sara, jonas, mira])
    clock = MovableClock()
    settings = bot_settings(telegram.url, any_database_url, staff_chat_id=group.id)
    async with running_bot(settings, clock=clock) as nara:
        await register_staff(
            nara,
            (sara, "Sara Lind", "caseworker"),
            (jonas, "Jonas", "supervisor"),
            (mira, "Mira", "caseworker"),
        )
        for person in (sara, jonas, mira):
            await person.say("/start")
            await person.next_message()
        yield Team(nara, clock, group, sara, jonas, mira, telegram.url, any_database_url)


async def invite_by_command(staff: SandboxUser) -> str:
    """Ask the bot for a link, as a staff member in their private chat; return its payload."""
    await staff.say("/invite")
    made = await staff.next_message()
    found = LINK.search(made.text or "")
    assert found is not None, made.text
    assert "en gång, i 7 dagar" in (made.text or "")
    return found.group(1)


async def open_link(resident: SandboxUser, payload: str, *, new: bool = False) -> ChatMessage:
    """Open an invite link (Telegram sends /start PAYLOAD); return the bot's answer to it."""
    await resident.say(f"/start {payload}")
    if new:
        greeting = await resident.next_message()  # someone new reads what Nära is first
        assert "112" in (greeting.text or "") and not greeting.buttons
    return await resident.next_message()


async def link(resident: SandboxUser, payload: str, *, new: bool = True) -> None:
    """Open a link and say yes."""
    offer = await open_link(resident, payload, new=new)
    await resident.press("Ja, det vill jag", message=offer)
    assert "är nu din kontaktperson" in (await resident.next_message()).text


async def contact_of(nara: Nara, user: SandboxUser) -> str | None:
    async with nara.db.session() as session:
        resident = await queries.find_resident(session, user.id)
        assert resident is not None
        named = await contacts.contact_of(session, resident.id)
    return named.name if named is not None else None


async def audited(nara: Nara, action: str) -> list[AuditEntry]:
    async with nara.db.session() as session:
        return [e for e in await casework.audit_entries(session) if e.action == action]


async def outbox_empty(nara: Nara) -> bool:
    async with nara.db.session() as session:
        return not await session.scalar(select(func.count()).select_from(OutboxMessage))


async def case_number(nara: Nara, user: SandboxUser) -> int:
    async with nara.db.session() as session:
        resident = await queries.find_resident(session, user.id)
        assert resident is not None
        case = await casework.active_case(session, resident.id)
    assert case is not None
    return case.id


async def test_a_resident_confirms_an_invite_and_sees_their_contact(
    team: Team, tg: SandboxClient
) -> None:
    payload = await invite_by_command(team.sara)
    amal = await tg.add_user("Amal", language_code="sv")
    offer = await open_link(amal, payload, new=True)
    # The first name only, what it means, and one question with a button.
    assert "Sara från socialtjänsten vill gärna vara din kontaktperson" in offer.text
    assert "den du pratar med" in offer.text and "Lind" not in offer.text
    assert offer.button_texts == ["Ja, det vill jag", "Nej tack"]
    assert await contact_of(team.nara, amal) is None

    await amal.press("Ja, det vill jag", message=offer)
    confirmed = await amal.next_message()
    assert "Klart. Sara är nu din kontaktperson." in confirmed.text and "Lind" not in confirmed.text
    assert (await amal.next_edit(offer)).buttons == []  # no second press by mistake
    assert await contact_of(team.nara, amal) == "Sara Lind"
    async with team.nara.db.session() as session:
        resident = await queries.find_resident(session, amal.id)
        sources = await session.scalar(select(func.count()).select_from(StartSource))
    # An invite is not a deep-link source: neither kept with the resident nor counted.
    assert resident is not None and resident.source is None and sources == 0
    assert "contact" in [c["command"] for c in await amal.commands()]

    await amal.say("/contact")
    shown = await amal.next_message()
    assert "Din kontaktperson på socialtjänsten är Sara." in shown.text
    assert "Hur vill du helst prata?" in shown.text and "/book" in shown.text
    assert shown.button_texts == [
        "Skriv till Sara",
        "Telefon",
        "Video",
        "Träffas på plats",
        "Chatt",
        "Jag vill ha en annan kontaktperson",
    ]
    await amal.press("Video", message=shown)
    assert "Så vill du helst prata: Video." in (await amal.next_message()).text
    await amal.say("/contact")
    assert "Så vill du helst prata: Video." in (await amal.next_message()).text

    # Writing to Sara reaches her own chat (and the group), and she can take it from there.
    await amal.press("Skriv till Sara", message=shown)
    assert "Jag har sagt till Sara att du vill prata" in (await amal.next_message()).text
    card = await team.sara.next_message()
    assert "vill prata med sin kontaktperson, Sara Lind" in card.text and "Video" in card.text
    assert "vill prata med sin kontaktperson" in (await team.group.next_message()).text
    await team.sara.press(card.button_texts[0], message=card)
    assert "Sara" in (await amal.next_message()).text  # "Sara ... has your case now"
    await team.sara.next_message()  # how to answer, privately
    await team.sara.say("Hej Amal! Ska vi ringas i morgon?")
    assert "Ska vi ringas i morgon?" in (await amal.next_message()).text

    # The link itself, opened again: kind, and clear.
    again = await open_link(amal, payload)
    assert "Sara är redan din kontaktperson." in again.text and not again.buttons


async def test_used_expired_and_forged_links_get_a_kind_clear_answer(
    team: Team, tg: SandboxClient
) -> None:
    first = await invite_by_command(team.sara)
    second = await invite_by_command(team.sara)
    amal = await tg.add_user("Amal", language_code="sv")
    omar = await tg.add_user("Omar", language_code="sv")
    await link(amal, first)

    used = await open_link(omar, first, new=True)
    assert "Den här länken har redan använts." in used.text and "ny länk" in used.text
    assert not used.buttons

    forged = await open_link(omar, "c-" + new_code())
    assert "Den här länken fungerar inte." in forged.text and not forged.buttons
    cut_short = await open_link(omar, second[:20])
    assert "Den här länken fungerar inte." in cut_short.text
    # A forged Yes, with a code of the right shape: nothing, and the same kind answer.
    await omar.say("/help")
    help_message = await omar.next_message()
    press = await omar.forge_callback(help_message, "contact:yes:" + new_code())
    await tg.callback_answer(press)
    assert "Den här länken fungerar inte." in (await omar.next_message()).text
    assert await contact_of(team.nara, omar) is None

    # A valid offer, answered after the seven days: too old, and nothing changes.
    offer = await open_link(omar, second)
    assert offer.button_texts == ["Ja, det vill jag", "Nej tack"]
    team.clock.advance(timedelta(days=7, minutes=1))
    await omar.press("Ja, det vill jag", message=offer)
    expired = await omar.next_message()
    assert "Den här länken är för gammal. En länk fungerar i 7 dagar." in expired.text
    assert await contact_of(team.nara, omar) is None
    assert "för gammal" in (await open_link(omar, second)).text

    # "No, thank you" changes nothing; other deep links are still counted as sources.
    fresh = await invite_by_command(team.mira)
    offer = await open_link(omar, fresh)
    await omar.press("Nej tack", message=offer)
    assert "Inget har ändrats." in (await omar.next_message()).text
    assert await contact_of(team.nara, omar) is None
    lina = await tg.add_user("Lina", language_code="sv")
    await lina.say("/start library")
    assert "datorprogram" in (await lina.next_message()).text
    async with team.nara.db.session() as session:
        resident = await queries.find_resident(session, lina.id)
        counted = await queries.start_counts(session)
    assert resident is not None and resident.source == "library"
    assert [(source, starts) for source, _day, starts in counted] == [("library", 1)]


async def test_another_contact_goes_to_a_supervisor_who_hands_the_resident_over(
    team: Team, tg: SandboxClient
) -> None:
    amal = await tg.add_user("Amal", language_code="sv")
    await link(amal, await invite_by_command(team.sara))
    await amal.say("/contact")
    shown = await amal.next_message()
    await amal.press("Jag vill ha en annan kontaktperson", message=shown)
    asked = await amal.next_message()
    assert "en annan kontaktperson åt dig" in asked.text and "inte säga varför" in asked.text
    # The supervisor hears of it in their own chat: no reason asked, the contact named.
    card = await team.jonas.next_message()
    assert "annan kontaktperson i stället för Sara Lind" in card.text and "/handover" in card.text
    number = await case_number(team.nara, amal)

    # Mira, a caseworker who is not Amal's contact, may not hand Amal over.
    await team.mira.say(f"/handover {number}")
    refusal = await team.mira.next_message()
    assert "Bara invånarens kontaktperson eller en arbetsledare" in refusal.text
    await team.jonas.say(f"/handover {number}")
    choose = await team.jonas.next_message()
    assert f"Ärende {number}: vem ska vara invånarens kontaktperson" in choose.text
    assert "Nu: Sara Lind." in choose.text
    assert sorted(choose.button_texts) == ["Jonas", "Mira"]  # not Sara herself
    # A forged press by a caseworker who is not the contact: nothing, and it is noted.
    give_mira = choose.button("Mira")["callback_data"]
    refused = await team.mira.forge_callback(refusal, give_mira)
    assert "arbetsledare" in (await tg.callback_answer(refused))["text"]
    assert await contact_of(team.nara, amal) == "Sara Lind"

    await team.jonas.press("Mira", message=choose)
    assert (
        f"Mira är nu kontaktperson för invånaren i ärende {number}"
        in (await team.jonas.next_message()).text
    )
    told = await amal.next_message()
    assert "Från och med nu är Mira din kontaktperson på socialtjänsten." in told.text
    assert "Hittills var Sara din kontaktperson." in told.text
    assert f"ärende {number}" in (await team.mira.next_message()).text
    assert await contact_of(team.nara, amal) == "Mira"
    # The same button again (a screen that had not caught up): it changed meanwhile.
    late = await team.jonas.forge_callback(choose, give_mira)
    assert "ändrats under tiden" in (await tg.callback_answer(late))["text"]

    # A resident forging the staff button: nothing happens, and it is noted.
    await amal.say("/help")
    forged = await amal.forge_callback(await amal.next_message(), give_mira)
    await tg.callback_answer(forged)
    assert await contact_of(team.nara, amal) == "Mira"
    forbidden = await audited(team.nara, "forbidden")
    assert sorted(e.staff_id is None for e in forbidden) == [False, False, True]
    assert [e.case_id for e in await audited(team.nara, "handover")] == [number]
    await BotProcess.wait_until(lambda: outbox_empty(team.nara), "every message to be sent")
    # Sara was not told that Amal wanted someone else, and the group did not see it.
    sara_heard = [m.text or "" for m in await team.sara.unread_messages()]
    group_heard = [m.text or "" for m in await team.group.messages()]
    assert not any("annan kontaktperson" in text for text in sara_heard + group_heard)


async def test_a_resident_already_in_a_case_can_ask_for_their_own_contact(
    team: Team, tg: SandboxClient
) -> None:
    omar = await tg.add_user("Omar", language_code="sv")
    await omar.say("/person")
    await omar.next_message()
    assert "🟡" in (await team.group.next_message()).text
    number = await case_number(team.nara, omar)
    await omar.say("/contact")
    shown = await omar.next_message()
    assert "Du har ingen egen kontaktperson än." in shown.text
    assert "Skriv till" not in " ".join(shown.button_texts)
    await omar.press("Jag vill ha en egen kontaktperson", message=shown)
    assert "hitta en kontaktperson åt dig" in (await omar.next_message()).text
    # The case was open already: the supervisor gets a note about it, not a second case.
    note = await team.jonas.next_message()
    assert f"Ärende {number}: invånaren vill ha en egen kontaktperson." in note.text
    assert f"/handover {number}" in note.text
    assert await case_number(team.nara, omar) == number

    await team.jonas.say(f"/handover {number}")
    choose = await team.jonas.next_message()
    assert "Nu: mottagningen." in choose.text
    assert sorted(choose.button_texts) == ["Jonas", "Mira", "Sara Lind"]
    await team.jonas.press("Jonas", message=choose)
    await team.jonas.next_message()
    told = await omar.next_message()
    assert "Från och med nu är Jonas din kontaktperson" in told.text and "Hittills" not in told.text
    assert await contact_of(team.nara, omar) == "Jonas"

    await team.jonas.say("/handover")
    assert "/handover 12" in (await team.jonas.next_message()).text
    await team.jonas.say("/handover 999999")
    assert "Det finns inget ärende 999999." in (await team.jonas.next_message()).text


async def nara_cli(team: Team, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run ``nara ARGS`` as its own process on the team's database and Bot API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env |= {
        "NARA_DATA_DIR": str(tmp_path),
        "NARA_DATABASE_URL": team.database_url,
        "NARA_TELEGRAM_TOKEN": TOKEN,
        "NARA_TELEGRAM_API_URL": team.telegram_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_command_line_invites_hands_over_and_removes_staff(
    team: Team, tg: SandboxClient, tmp_path: Path
) -> None:
    code, out, err = await nara_cli(
        team, tmp_path, "staff", "invite", "--telegram-id", str(team.sara.id)
    )
    assert code == 0, err
    (line,) = out.splitlines()
    found = LINK.fullmatch(line)
    assert found is not None, line
    amal = await tg.add_user("Amal", language_code="sv")
    omar = await tg.add_user("Omar", language_code="ar")
    lina = await tg.add_user("Lina", language_code="sv")
    await link(amal, found.group(1))
    offer = await open_link(omar, await invite_by_command(team.sara), new=True)
    await omar.press(offer.button_texts[0], message=offer)
    await omar.next_message()
    await link(lina, await invite_by_command(team.jonas))
    assert await contact_of(team.nara, omar) == "Sara Lind"

    code, _out, err = await nara_cli(team, tmp_path, "staff", "invite", "--telegram-id", "4242")
    assert code == 1 and "no active staff member has Telegram id 4242" in err

    # One resident handed over by chat: only that one is told, by name.
    code, out, err = await nara_cli(
        team,
        tmp_path,
        "staff",
        "handover",
        "--from",
        str(team.sara.id),
        "--to",
        str(team.mira.id),
        "--chat-id",
        str(amal.id),
    )
    assert code == 0, err
    assert out.strip() == "1 residents handed over from Sara Lind to Mira; each is told"
    told = await amal.next_message()
    assert "Från och med nu är Mira din kontaktperson" in told.text
    assert "Hittills var Sara din kontaktperson." in told.text
    assert "1" in (await team.mira.next_message()).text
    assert await contact_of(team.nara, amal) == "Mira"

    # Sara leaves: Omar (in Arabic) is told plainly, and goes back to the reception team;
    # Amal and Lina, whose contacts stay, hear nothing.
    code, out, err = await nara_cli(
        team, tmp_path, "staff", "remove", "--telegram-id", str(team.sara.id)
    )
    assert code == 0, err
    assert "1 residents had them as their contact" in out
    left = await omar.next_message()
    assert "Sara" in left.text and "Lind" not in left.text and "/contact" in left.text
    assert any("\u0600" <= ch <= "\u06ff" for ch in left.text)
    assert await contact_of(team.nara, omar) is None
    await omar.say("/contact")
    assert len((await omar.next_message()).button_texts) == 5  # four ways, and "I would like"
    await BotProcess.wait_until(lambda: outbox_empty(team.nara), "every message to be sent")
    assert await amal.unread_messages() == [] and await lina.unread_messages() == []
    assert await contact_of(team.nara, amal) == "Mira"
    assert await contact_of(team.nara, lina) == "Jonas"

    # Sara is no longer staff: /invite is an unknown command to her now.
    await team.sara.say("/invite")
    assert "/help" in (await team.sara.next_message()).text
