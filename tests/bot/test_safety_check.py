"""The ask level end to end: numbers and "Are you safe right now?", each answer, no answer.

The vocabulary copy makes the level predictable (see ``tests/vocabulary.py``): "zebrafara"
is an alarm, "zebrafara 😂" is softened, so the bot asks. Time is moved, never waited for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app.runtime import Nara
from storage.models import Case, Resident, Timer, TriageFeedback
from tests.bot.harness import (
    LocalTelegram,
    MovableClock,
    bot_settings,
    register_staff,
    running_bot,
)
from tests.vocabulary import ASK_WORD, vocabulary_that_asks
from tgserver import SandboxClient
from tgserver.client import SandboxGroup, SandboxUser

UNSURE = f"{ASK_WORD} 😂"
ESCALATION_MINUTES = 5


@dataclass
class Desk:
    """A running bot that asks when unsure, its staff group, one caseworker, and its clock."""

    nara: Nara
    group: SandboxGroup
    sara: SandboxUser
    clock: MovableClock


@pytest.fixture
async def desk(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str, tmp_path: Path
) -> AsyncIterator[Desk]:
    sara = await tg.add_user("Sara", language_code="sv")
    group = await tg.add_group("Socialtjänsten – ärenden", [sara])
    settings = bot_settings(
        telegram.url,
        any_database_url,
        staff_chat_id=group.id,
        escalation_minutes=ESCALATION_MINUTES,
        triage=str(vocabulary_that_asks(tmp_path)),
    )
    clock = MovableClock()
    async with running_bot(settings, clock) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"))
        yield Desk(nara, group, sara, clock)


async def _feedback(nara: Nara) -> list[TriageFeedback]:
    async with nara.db.session() as session:
        return list(await session.scalars(select(TriageFeedback).order_by(TriageFeedback.id)))


async def _cases(nara: Nara) -> list[Case]:
    async with nara.db.session() as session:
        return list(await session.scalars(select(Case).order_by(Case.id)))


async def test_an_unsure_message_gets_the_numbers_and_one_question(
    desk: Desk, tg: SandboxClient
) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    await ali.say(UNSURE)
    question = await ali.next_message()
    assert "112" in question.text and "90101" in question.text  # self-harm's numbers
    assert "computer program" in question.text
    assert question.text.rstrip().endswith("Are you safe right now?")
    assert question.button_texts == [
        "I am in danger now", "I need help, but not right now", "I am OK"
    ]
    assert await ali.unread_messages() == []
    assert [m for m in await desk.group.messages() if m.from_bot] == []
    assert await _cases(desk.nara) == []
    async with desk.nara.db.session() as session:
        (timer,) = await session.scalars(select(Timer).where(Timer.done_at.is_(None)))
    assert timer.resident_id is not None and timer.case_id is None


async def test_in_danger_opens_an_urgent_case_at_once(desk: Desk, tg: SandboxClient) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    await ali.say(UNSURE)
    question = await ali.next_message()
    press = await ali.press("I am in danger now", message=question)
    assert (await tg.callback_answer(press))["answered"]
    safety = await ali.next_message()
    assert "112" in safety.text and "told a person" in safety.text
    notification = await desk.group.next_message()
    assert "🔴" in notification.text and UNSURE in notification.text
    # The answered question keeps no buttons: the same answer cannot be sent twice.
    assert (await ali.refresh(question)).button_texts == []
    (case,) = await _cases(desk.nara)
    assert case.kind == "urgent" and case.category == "self-harm"
    (feedback,) = await _feedback(desk.nara)
    assert (feedback.kind, feedback.answer, feedback.level) == ("asked", "danger", "ask")
    # The question's timer was cancelled: moving past it opens nothing more.
    desk.clock.advance(timedelta(minutes=ESCALATION_MINUTES + 1))
    escalated = await desk.group.next_message()
    assert "⚠️" in escalated.text  # the urgent case escalates, as urgent cases do
    assert len(await _cases(desk.nara)) == 1


async def test_help_later_opens_a_case_at_normal_priority(desk: Desk, tg: SandboxClient) -> None:
    mona = await tg.add_user("Mona", language_code="sv")
    await mona.say(UNSURE)
    question = await mona.next_message()
    assert "Är du i säkerhet just nu?" in question.text
    await mona.press("Jag behöver hjälp, men inte just nu", message=question)
    reply = await mona.next_message()
    assert "person" in reply.text and "112" in reply.text
    card = await desk.group.next_message()
    assert "🟠" in card.text and "inte just nu" in card.text and UNSURE in card.text
    assert "It was urgent" in card.button_texts or "Det var akut" in card.button_texts
    (case,) = await _cases(desk.nara)
    assert case.kind == "person" and case.category == "self-harm"
    await mona.say("jag vill prata om min ekonomi")
    relayed = await desk.group.next_message()
    assert "min ekonomi" in relayed.text


async def test_ok_gets_a_kind_word_and_no_case(desk: Desk, tg: SandboxClient) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    await ali.say(UNSURE)
    question = await ali.next_message()
    await ali.press("I am OK", message=question)
    reply = await ali.next_message()
    assert "Thank you for telling me" in reply.text and "112" in reply.text
    desk.clock.advance(timedelta(minutes=ESCALATION_MINUTES + 1))
    await ali.say("/help")
    assert "112" in (await ali.next_message()).text
    assert [m for m in await desk.group.messages() if m.from_bot] == []
    assert await _cases(desk.nara) == []
    (feedback,) = await _feedback(desk.nara)
    assert (feedback.kind, feedback.answer) == ("asked", "ok")


async def test_no_answer_in_time_opens_a_case_so_a_person_looks(
    desk: Desk, tg: SandboxClient
) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    await ali.say(UNSURE)
    await ali.next_message()
    desk.clock.advance(timedelta(minutes=ESCALATION_MINUTES, seconds=1))
    told = await ali.next_message()
    assert "asked a person from social services to read your message" in told.text
    card = await desk.group.next_message()
    assert "🟠" in card.text and f"{ESCALATION_MINUTES} min" in card.text
    assert UNSURE in card.text
    (case,) = await _cases(desk.nara)
    assert case.kind == "person" and case.category == "self-harm"
    (feedback,) = await _feedback(desk.nara)
    assert (feedback.kind, feedback.source, feedback.answer) == ("asked", "timer", "none")
    async with desk.nara.db.session() as session:
        resident = (await session.scalars(select(Resident))).one()
    assert resident.step == "case"


async def test_an_urgent_message_after_a_calm_reply_counts_as_a_miss(
    desk: Desk, tg: SandboxClient
) -> None:
    eva = await tg.add_user("Eva", language_code="sv")
    await eva.say("hur söker jag försörjningsstöd, mitt nummer är 070-123 45 67")
    await eva.next_message()
    await eva.say("nej du förstår inte, jag vill inte leva längre")
    # The calm answer may have had more cards; the safety reply is the first with 112.
    safety = await eva.next_message()
    while "90101" not in safety.text:
        safety = await eva.next_message()
    card = await desk.group.next_message()
    assert "🔴" in card.text
    (miss,) = await _feedback(desk.nara)
    assert (miss.kind, miss.source, miss.level) == ("missed", "resident", "calm")
    assert miss.text is not None and "försörjningsstöd" in miss.text
    assert "070" not in miss.text  # scrubbed like a kept question

    # Staff say it was not urgent after all: that is kept too, once.
    press = await desk.sara.press("Inte akut", message=card, chat=desk.group)
    assert "Noterat" in (await tg.callback_answer(press))["text"]
    again = await desk.sara.press("Inte akut", message=card, chat=desk.group)
    assert "redan" in (await tg.callback_answer(again))["text"]
    kinds = [f.kind for f in await _feedback(desk.nara)]
    assert kinds == ["missed", "false-alarm"]


async def test_a_forged_answer_does_nothing(desk: Desk, tg: SandboxClient) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    await ali.say(UNSURE)
    question = await ali.next_message()
    for data in ("safe:danger:made-up", "safe:panic:self-harm", "safe:danger"):
        press = await ali.forge_callback(question, data)
        await tg.callback_answer(press)
    assert await ali.unread_messages() == []
    assert await _cases(desk.nara) == []
