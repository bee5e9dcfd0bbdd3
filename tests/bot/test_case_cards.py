"""Case cards end to end: who owns a case, who closes it, what the card quotes, staff menus.

The bot's clock is set to 13:56 in the municipality's time zone (Helsinki here, to show
the zone is the configured one) and moved, never waited for: at 14:02:00 the case
escalates, and the Claim that follows is stamped 14:02.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.app.runtime import Nara
from bot.core.i18n import plain
from flows import urgent
from flows.replies import Text
from flows.welcome import COMMANDS
from storage import casework, queries
from tests.bot.harness import (
    LocalTelegram,
    MovableClock,
    bot_settings,
    register_staff,
    running_bot,
)
from tgserver import SandboxClient
from tgserver.client import ChatMessage, SandboxGroup, SandboxUser

SELF_HARM_SV = "jag orkar inte leva längre, jag vill försvinna för alltid"
ZONE = ZoneInfo("Europe/Helsinki")
ESCALATION_MINUTES = 5
STAFF = "sv"


@dataclass
class Team:
    """A running bot whose clock the test moves, a staff group it administers, three people."""

    nara: Nara
    clock: MovableClock
    # 14:02:00 on the day the bot's clock starts, in the municipality's time zone.
    escalates_at: datetime
    group: SandboxGroup
    sara: SandboxUser
    jonas: SandboxUser
    on_call: SandboxUser


def _next(hour: int, minute: int, now: datetime) -> datetime:
    local = now.astimezone(ZONE)
    wanted = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return wanted if wanted > local else wanted + timedelta(days=1)


@pytest.fixture
async def team(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> AsyncIterator[Team]:
    """The staff of one municipality, on SQLite and on PostgreSQL."""
    sara = await tg.add_user("Sara", language_code="sv")
    jonas = await tg.add_user("Jonas", language_code="sv")
    on_call = await tg.add_user("Jour", language_code="sv")
    # An administrator bot sees every message in the group, not only replies to it.
    group = await tg.add_group("Socialtjänsten – ärenden", [sara, jonas], bot_is_admin=True)
    clock = MovableClock()
    opens_at = _next(13, 56, clock())
    clock.advance(opens_at - clock())
    settings = bot_settings(
        telegram.url,
        any_database_url,
        staff_chat_id=group.id,
        escalation_minutes=ESCALATION_MINUTES,
        on_call_chat_ids=str(on_call.id),
        timezone="Europe/Helsinki",
        staff_locale=STAFF,
    )
    async with running_bot(settings, clock) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"), (jonas, "Jonas", "supervisor"))
        for person in (sara, jonas, on_call):
            await person.say("/start")
            await person.next_message()
        yield Team(nara, clock, opens_at + timedelta(minutes=6), group, sara, jonas, on_call)


def staff_text(text: Text) -> str:
    return plain(text, STAFF)


async def bot_posts(group: SandboxGroup) -> list[ChatMessage]:
    return [message for message in await group.messages() if message.from_bot]


async def card_when(
    reader: SandboxUser, card: ChatMessage, done: Callable[[ChatMessage], bool]
) -> ChatMessage:
    """Wait until a card shows what ``done`` looks for (each edit is read; no sleeping)."""
    while not done(card):
        card = await reader.next_edit(card)
    return card


async def open_escalated_case(
    team: Team, tg: SandboxClient
) -> tuple[SandboxUser, list[ChatMessage]]:
    """A resident writes at 13:56; at 14:02 the case escalates. Return them and the 3 cards."""
    amal = await tg.add_user("Amal", language_code="sv")
    await amal.say(SELF_HARM_SV)
    assert "112" in (await amal.next_message()).text
    first = await team.group.next_message()
    # Due five minutes after 13:56 and a few seconds: 14:02:00 is past it.
    team.clock.advance(team.escalates_at - team.clock())
    escalated = await team.group.next_message()
    to_on_call = await team.on_call.next_message()
    for card in (first, escalated, to_on_call):
        assert card.button_texts == ["Ta ärendet", "Stäng", "Inte akut"]
    assert "⚠️" in escalated.text and "⚠️" in to_on_call.text
    return amal, [first, escalated, to_on_call]


async def test_a_claim_edits_every_card_and_tells_the_claimer_once_how_to_answer(
    team: Team, tg: SandboxClient
) -> None:
    amal, cards = await open_escalated_case(team, tg)
    await team.sara.press("Ta ärendet", message=cards[0], chat=team.group)
    claimed = staff_text(urgent.claimed_status("Sara", "14:02"))
    assert "Sara" in (await amal.next_message()).text
    readers = (team.sara, team.sara, team.on_call)
    settled = [
        await card_when(reader, card, lambda m: claimed in m.text)
        for reader, card in zip(readers, cards, strict=True)
    ]
    for card in settled:
        # Claim is gone; Close and the mark that teaches triage stay.
        assert card.button_texts == ["Stäng", "Inte akut"]
        assert SELF_HARM_SV in card.text and "⚠️" not in card.text
    # Once, privately: how replies reach the resident. Nothing new in the group.
    told = await team.sara.next_message()
    assert told.text.startswith(staff_text(urgent.you_have_the_case(1).paragraphs[0]))
    assert "/close" in told.text

    # Staff talk in the group stays there; right after claiming, Sara gets one hint.
    talk = await team.sara.say("Hon låter rädd. Jag ringer jouren också.", chat=team.group)
    hint = await team.group.next_message()
    assert hint.reply_to_message_id == talk.id
    assert hint.text == staff_text(urgent.reply_hint(1).paragraphs[0])
    await team.jonas.say("Säg till om du behöver hjälp.", chat=team.group)
    await team.sara.say("Tack, det gör jag.", chat=team.group)
    await team.sara.say("Hej Amal, jag heter Sara.", chat=team.group, reply_to=cards[0])
    # The reply reached Amal only after the two plain messages before it were handled.
    assert "jag heter Sara" in (await amal.next_message()).text
    assert await amal.unread_messages() == []
    # In the group: the card, its escalated copy and the one hint; no "claimed" notice.
    assert [m.id for m in await bot_posts(team.group)] == [cards[0].id, cards[1].id, hint.id]
    assert [m.text for m in await amal.chat_messages() if "ringer jouren" in (m.text or "")] == []

    await team.sara.press("Stäng", message=settled[0], chat=team.group)
    ended = await amal.next_message()
    assert "Sara" in ended.text and "112" in ended.text
    closed = staff_text(urgent.closed_status("Sara", "14:02"))
    for reader, card in zip(readers, settled, strict=True):
        done = await card_when(reader, card, lambda m: closed in m.text)
        assert done.button_texts == ["Inte akut"] and claimed not in done.text
    # Privately, once: whether to offer the resident follow-up check-ins (asked first).
    (offer,) = await team.sara.unread_messages()
    assert "Erbjuda uppföljning till invånaren i ärende 1?" in offer.text
    assert len(offer.button_texts) == 3
    assert [m.id for m in await bot_posts(team.group)] == [cards[0].id, cards[1].id, hint.id]


async def test_closing_someone_elses_case_asks_first_and_the_resident_hears_the_owner(
    team: Team, tg: SandboxClient
) -> None:
    amal, cards = await open_escalated_case(team, tg)
    await team.sara.press("Ta ärendet", message=cards[0], chat=team.group)
    assert "Sara" in (await amal.next_message()).text
    card = await card_when(team.jonas, cards[0], lambda m: "Ta ärendet" not in m.button_texts)

    # Jonas, a supervisor, presses Close on Sara's case: he is asked, nothing is closed yet.
    await team.jonas.press("Stäng", message=card, chat=team.group)
    question = await team.group.next_message()
    assert question.text == staff_text(urgent.close_anyway(1, "Sara").paragraphs[0])
    assert question.reply_to_message_id == card.id
    assert question.button_texts == ["Stäng ändå"]
    async with team.nara.db.session() as session:
        case = await casework.get_case(session, 1)
    assert case is not None and case.status == "claimed"

    await team.jonas.press("Stäng ändå", message=question, chat=team.group)
    ended = await amal.next_message()
    # Amal hears of Sara, whom she talked to; never of Jonas, whom she never met.
    assert ended.text.startswith(plain(urgent.case_closed_for_resident("Sara").paragraphs[0], "sv"))
    assert "Jonas" not in ended.text
    closed = staff_text(urgent.closed_status("Jonas", "14:02"))
    done = await card_when(team.jonas, card, lambda m: closed in m.text)
    assert done.button_texts == ["Inte akut"]
    assert (await card_when(team.jonas, question, lambda m: not m.button_texts)).button_texts == []
    async with team.nara.db.session() as session:
        case = await casework.get_case(session, 1)
        trail = [(e.action, e.staff_id) for e in await casework.audit_trail(session, 1)]
    assert case is not None and case.status == "closed"
    assert ("close", case.closed_by) in trail and case.closed_by != case.claimed_by


async def test_a_case_nobody_claimed_is_closed_without_a_name(
    team: Team, tg: SandboxClient
) -> None:
    lina = await tg.add_user("Lina", language_code="en")
    await lina.say("/person")
    await lina.next_message()
    card = await team.group.next_message()
    await team.jonas.press("Stäng", message=card, chat=team.group)
    ended = await lina.next_message()
    assert ended.text.startswith(plain(urgent.case_closed_for_resident(None).paragraphs[0], "en"))
    assert "Jonas" not in ended.text
    done = await card_when(team.jonas, card, lambda m: "Jonas" in m.text)
    assert done.button_texts == ["Det var akut"]


STORY_SENTENCE = (
    "I came to Sweden in 2019 with my two children, and we lived with my cousin in a small"
    " flat for a long time while I looked for work and a school for the little one."
)
ALARM = "Tonight I want to end my life."


async def test_the_card_quotes_the_sentence_that_raised_the_alarm_first(
    team: Team, tg: SandboxClient
) -> None:
    story = " ".join([STORY_SENTENCE] * 23 + ["Nobody at the office answers my letters.", ALARM])
    assert 3800 < len(story) < 4096
    noor = await tg.add_user("Noor", language_code="en")
    await noor.say(story)
    assert "112" in (await noor.next_message()).text
    card = await team.group.next_message()
    assert len(card.text) < 4096 and card.button_texts == ["Ta ärendet", "Stäng", "Inte akut"]
    alarm_at, start_at = card.text.index(ALARM), card.text.index(STORY_SENTENCE)
    assert alarm_at < start_at
    # A visible mark before the alarm (text before it was left out) and after the start.
    assert card.text[alarm_at - 1] == urgent.CUT
    assert urgent.CUT + "”" in card.text
    assert card.text.count(STORY_SENTENCE) < 23
    assert [m.id for m in await bot_posts(team.group)] == [card.id]  # not split in two


def staff_menu(*, group: bool = False) -> list[dict[str, str]]:
    return [
        {"command": name, "description": staff_text(Text.of(about))}
        for name, about in urgent.STAFF_COMMANDS
        if not group or name in urgent.STAFF_GROUP_COMMANDS
    ]


async def menu_becomes(
    tg: SandboxClient, read: Callable[[], Awaitable[list[dict[str, str]]]], wanted: object
) -> None:
    """Wait until a command menu is ``wanted``: menus are published while the bot starts."""
    seen = 0
    for _failsafe in range(15):
        if await read() == wanted:
            return
        events = await tg.events(after=seen, wait=2.0)
        seen = max([seen, *(int(event["seq"]) for event in events)])
    assert await read() == wanted


async def test_staff_have_their_own_menu_and_cases_answers_in_the_group(
    team: Team, tg: SandboxClient
) -> None:
    # Set at each one's /start (in the fixture): the staff menu, not the residents'.
    assert await team.sara.commands() == staff_menu()
    assert await team.jonas.commands() == staff_menu()
    await menu_becomes(tg, lambda: team.sara.commands(chat=team.group), staff_menu(group=True))
    amal = await tg.add_user("Amal", language_code="sv")
    assert [c["command"] for c in await amal.commands()] == [name for name, _ in COMMANDS]

    await amal.say(SELF_HARM_SV)
    await amal.next_message()
    await team.group.next_message()
    await team.sara.say("/cases", chat=team.group)
    listing = await team.group.next_message()
    assert listing.text.startswith(staff_text(urgent.cases_list(["#1"]).paragraphs[0]))
    assert "#1" in listing.text


async def test_staff_get_the_staff_menu_when_the_bot_starts_and_lose_it_when_they_leave(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> None:
    lars = await tg.add_user("Lars", language_code="sv")
    mira = await tg.add_user("Mira", language_code="uk")
    group = await tg.add_group("Socialtjänsten", [lars, mira])
    settings = bot_settings(telegram.url, any_database_url, staff_chat_id=group.id)
    residents = [name for name, _ in COMMANDS]
    async with running_bot(settings) as nara:
        # Lars writes first as a resident, and is made staff while the bot runs.
        await lars.say("/start")
        await lars.next_message()
        await register_staff(nara, (lars, "Lars", "caseworker"))
        assert [c["command"] for c in await lars.commands()] == residents
        # Mira chose Ukrainian as a resident; then she was staff for a while.
        await mira.say("/language")
        await mira.press("Українська", message=await mira.next_message())
        await mira.next_message()
        await register_staff(nara, (mira, "Mira", "caseworker"))
        await mira.say("/start")
        await mira.next_message()
        assert await mira.commands() == staff_menu()
    async with nara.db.session() as session, session.begin():
        assert await queries.remove_staff_member(session, mira.id, datetime.now(UTC))
    async with running_bot(settings):
        await menu_becomes(tg, lars.commands, staff_menu())
        assert await lars.commands(chat=group) == staff_menu(group=True)
        # Mira left: the residents' menu again, in the language she chose.
        mira_menu = [{"command": n, "description": plain(Text.of(d), "uk")} for n, d in COMMANDS]
        await menu_becomes(tg, mira.commands, mira_menu)
