"""Urgent cases end to end: safety reply, staff notification, Claim, relaying, escalation."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.i18n import plain
from flows.replies import Text
from storage import casework, queries
from tests.bot.harness import LocalTelegram, Office, bot_settings, query, running_bot
from tests.bot.processes import BotProcess
from tests.vocabulary import vocabulary_with
from tgserver import SandboxClient

SELF_HARM_SV = "jag orkar inte leva längre, jag vill försvinna för alltid"




async def test_an_urgent_message_gets_the_safety_reply_and_reaches_the_staff(
    office: Office, tg: SandboxClient
) -> None:
    amal = await tg.add_user("Amal", language_code="sv")
    await amal.say(SELF_HARM_SV)
    reply = await amal.next_message()
    assert "112" in reply.text and "90101" in reply.text
    assert "datorprogram" in reply.text.lower() or "dator" in reply.text.lower()
    notification = await office.group.next_message()
    assert "🔴" in notification.text
    assert SELF_HARM_SV in notification.text
    # Claim, Close, and a mark that teaches triage ("Not urgent").
    assert notification.button_texts == ["Ta ärendet", "Stäng", "Inte akut"]

    await office.sara.press(notification.button_texts[0], message=notification, chat=office.group)
    claimed = await amal.next_message()
    assert "Sara" in claimed.text
    card = notification
    while not card.edited:  # a press changes the message too; wait for the edit
        card = await office.sara.next_edit(card)
    assert "Sara" in card.text
    assert "ärende 1" in (await office.sara.next_message()).text  # how to answer, privately

    await office.sara.say(
        "Hej Amal, jag heter Sara. Är du säker just nu?", chat=office.group, reply_to=notification
    )
    relayed = await amal.next_message()
    assert "Är du säker just nu?" in relayed.text and "Sara" in relayed.text

    await amal.say("ja, jag är hemma")
    to_sara = await office.sara.next_message()
    assert "ja, jag är hemma" in to_sara.text
    await office.sara.say("Bra. Jag ringer dig om fem minuter.")
    assert "ringer dig" in (await amal.next_message()).text

    async with office.nara.db.session() as session:
        resident = await queries.find_resident(session, amal.id)
        assert resident is not None
        case = await casework.active_case(session, resident.id)
        assert case is not None and case.status == "claimed" and case.category == "self-harm"
        trail = [entry.action for entry in await casework.audit_trail(session, case.id)]
    assert trail[:1] == ["claim"] and "reply" in trail


async def test_a_second_claim_is_refused_and_close_tells_the_resident(
    office: Office, tg: SandboxClient
) -> None:
    omar = await tg.add_user("Omar", language_code="ar")
    await omar.say("my husband hits me and says he will kill me tonight")
    safety = await omar.next_message()
    # In Arabic a number is kept whole with no-break spaces (see flows/bidi.py).
    assert "112" in safety.text and "020-50\u00a050\u00a050" in safety.text
    notification = await office.group.next_message()
    press = await office.sara.press(
        notification.button_texts[0], message=notification, chat=office.group
    )
    await tg.callback_answer(press)
    await omar.next_message()
    card = notification
    while not card.edited:  # Claim is gone from the card
        card = await office.jonas.next_edit(card)
    # A Claim still on a screen that had not caught up:
    late = await office.jonas.forge_callback(
        notification, notification.buttons[0][0]["callback_data"], chat=office.group
    )
    answer = await tg.callback_answer(late)
    assert "Sara" in answer["text"]
    close = await office.sara.press(
        notification.button_texts[1], message=notification, chat=office.group
    )
    await tg.callback_answer(close)
    ended = await omar.next_message()
    assert "Sara" in ended.text and "112" in ended.text
    await omar.say("/help")
    assert "112" in (await omar.next_message()).text  # back to the bot, not to Sara


async def test_a_forged_claim_from_a_resident_gets_nothing(
    office: Office, tg: SandboxClient
) -> None:
    eve = await tg.add_user("Eve", language_code="en")
    await eve.say("I have nowhere to sleep tonight, I am on the street with my kids")
    await eve.next_message()
    notification = await office.group.next_message()
    case_data = notification.buttons[0][0]["callback_data"]
    own = await eve.next_message() if await eve.unread_messages() else None
    assert own is None
    await eve.say("/help")
    help_message = await eve.next_message()
    press = await eve.forge_callback(help_message, case_data)
    answer = await tg.callback_answer(press)
    assert answer["answered"] and not answer["text"]
    async with office.nara.db.session() as session:
        waiting = await casework.cases_waiting(session)
        forbidden = [e for e in await casework.audit_entries(session) if e.action == "forbidden"]
    assert [c.status for c in waiting] == ["open"]
    assert len(forbidden) == 1


async def test_an_unclaimed_urgent_case_escalates_then_reminds_the_resident(
    office: Office, tg: SandboxClient
) -> None:
    noor = await tg.add_user("Noor", language_code="en")
    await noor.say("my little brother is home alone and dad hit him, he is 6")
    await noor.next_message()
    first = await office.group.next_message()
    assert "🔴" in first.text
    escalated = await office.group.next_message()
    assert "⚠️" in escalated.text
    to_on_call = await office.on_call.next_message()
    assert "⚠️" in to_on_call.text and len(to_on_call.button_texts) == 3
    reminder = await noor.next_message()
    assert "112" in reminder.text and "no one has answered" in reminder.text
    async with office.nara.db.session() as session:
        (case,) = await casework.cases_waiting(session)
    assert case.escalation == 2 and case.category == "child-at-risk"


async def test_talk_to_a_person_opens_a_case_at_normal_priority(
    office: Office, tg: SandboxClient
) -> None:
    lina = await tg.add_user("Lina", language_code="en")
    await lina.say("/person")
    reply = await lina.next_message()
    assert "112" in reply.text
    notification = await office.group.next_message()
    assert "🟡" in notification.text
    await lina.say("I need help with my rent")
    assert "added this to your case" in (await lina.next_message()).text
    relayed = await office.group.next_message()
    assert "I need help with my rent" in relayed.text


@pytest.mark.slow
async def test_sigkill_after_the_urgent_message_still_notifies_staff_once(
    telegram: LocalTelegram, tg: SandboxClient, tmp_path: Path, any_database_url: str
) -> None:
    sara = await tg.add_user("Sara", language_code="sv")
    group = await tg.add_group("Socialtjänsten", [sara])
    bot = BotProcess(
        telegram_url=telegram.url,
        database_url=any_database_url,
        log_path=tmp_path / "bot.log",
        webhook=False,
    )
    bot.env["NARA_STAFF_CHAT_ID"] = str(group.id)
    await bot.start()
    amal = await tg.add_user("Amal", language_code="sv")
    # Telegram is down for sending: the case and its notification can only wait in the outbox.
    telegram.world.faults.fail_next("sendMessage", count=None, status=502)
    await amal.say(SELF_HARM_SV)

    async def rows(table: str) -> int:
        ((count,),) = await query(any_database_url, f"SELECT count(*) FROM {table}")
        return int(count)

    await BotProcess.wait_until(lambda: _equals(rows("cases"), 1), "the case to be stored")
    # A call the dead process sent just before the kill may still wait, unread, at the server:
    # fenced off, Telegram coming back cannot deliver it late.
    await bot.kill_and_fence(telegram)
    telegram.world.faults.clear()
    assert [m for m in await group.messages() if m.from_bot] == []
    await bot.start()
    notification = await group.next_message()
    assert "🔴" in notification.text
    safety = await amal.next_message()
    assert "112" in safety.text
    # Once the outbox is empty nothing is left to send: a repeat would have been sent by now.
    await BotProcess.wait_until(lambda: _equals(rows("outbox"), 0), "the outbox to empty")
    assert bot.terminate() == 0
    assert len([m for m in await group.messages() if m.from_bot]) == 1
    assert len([m for m in await amal.chat_messages() if m.from_bot]) == 1


async def test_no_food_gets_the_safety_reply_and_then_the_support_that_helps(
    office: Office, tg: SandboxClient
) -> None:
    olena = await tg.add_user("Olena", language_code="uk")
    await olena.say("грошей не вистачає на їжу, діти голодні")
    safety = await olena.next_message()
    assert "112" in safety.text
    card = await olena.next_message()
    assert office.nara.catalogue["financial-aid"].title["uk"] in card.text
    assert "🔴" in (await office.group.next_message()).text


async def test_claim_pressed_twice_tells_the_resident_once(office: Office, tg: SandboxClient) -> None:
    rami = await tg.add_user("Rami", language_code="en")
    await rami.say("my dad hits me every night and I am scared to go home")
    await rami.next_message()
    notification = await office.group.next_message()
    claim = notification.buttons[0][0]["callback_data"]
    for _ in range(2):
        # A double tap: the second can come before the card loses its Claim button.
        press = await office.sara.forge_callback(notification, claim, chat=office.group)
        assert (await tg.callback_answer(press))["answered"]
    told = await rami.next_message()
    assert "Sara" in told.text
    await rami.say("/help")
    assert "112" in (await rami.next_message()).text
    claimed_posts = [m for m in await office.group.messages() if m.from_bot and "Sara" in (m.text or "")]
    assert len(claimed_posts) == 1


async def test_an_edit_that_makes_a_message_urgent_is_triaged(office: Office, tg: SandboxClient) -> None:
    yusuf = await tg.add_user("Yusuf", language_code="en")
    first = await yusuf.say("where can I get help with my rent")
    await yusuf.next_message()
    await yusuf.edit(first, "I have nowhere to sleep tonight, I am outside with my kids")
    safety = await yusuf.next_message()
    assert "112" in safety.text
    notification = await office.group.next_message()
    assert "🔴" in notification.text and "nowhere to sleep tonight" in notification.text


async def test_edits_in_a_case_reach_the_other_side_marked_as_corrections(
    office: Office, tg: SandboxClient
) -> None:
    rami = await tg.add_user("Rami", language_code="en")
    await rami.say("/person")
    await rami.next_message()
    notification = await office.group.next_message()
    await office.sara.press(notification.button_texts[0], message=notification, chat=office.group)
    await rami.next_message()
    await office.sara.next_message()  # how to answer
    answer = await office.sara.say("Hello Rami, I can call you at 10.", chat=office.group,
                                   reply_to=notification)
    first = await rami.next_message()
    assert first.text.startswith("Sara, social services:") and "at 10" in first.text
    await office.sara.edit(answer, "Hello Rami, I can call you at 11.", chat=office.group)
    corrected = await rami.next_message()
    assert "Sara" in corrected.text and "corrected" in corrected.text and "at 11" in corrected.text

    words = await rami.say("11 is fine, on my number 070-123 45 67")
    relayed = await office.sara.next_message()
    assert "skriver" in relayed.text and "11 is fine" in relayed.text
    await rami.edit(words, "11 is fine, on my number 070-123 45 68")
    fixed = await office.sara.next_message()
    # Staff read Swedish: "korrigerade" is the Swedish word for corrected.
    assert "korrigerade" in fixed.text and "45 68" in fixed.text


async def test_a_photo_whose_words_are_urgent_gets_the_safety_reply_first(
    office: Office, tg: SandboxClient
) -> None:
    mina = await tg.add_user("Mina", language_code="en")
    await mina.send_photo(caption="look what he did to me, he hit me again last night")
    safety = await mina.next_message()
    assert "112" in safety.text
    assert "pictures" in (await mina.next_message()).text
    notification = await office.group.next_message()
    assert "🔴" in notification.text and "he hit me again" in notification.text


async def test_an_overdose_taken_gets_call_112_now_first_and_both_kinds_of_numbers(
    office: Office, tg: SandboxClient
) -> None:
    ann = await tg.add_user("Ann", language_code="en")
    await ann.say("I took all my pills")
    reply = await ann.next_message()
    assert reply.text.startswith("This may be an emergency. Call 112 now.")
    # Självmordslinjen for the self-harm, Giftinformation for the pills.
    assert "90101" in reply.text and "010-456 67 00" in reply.text
    notification = await office.group.next_message()
    assert "självmord" in notification.text  # the case's category stays self-harm


async def _equals(count: Awaitable[int], expected: int) -> bool:
    return await count == expected


REFUSE_CASES = {
    "sqlite": [
        "CREATE TRIGGER refuse_cases BEFORE INSERT ON cases "
        "BEGIN SELECT RAISE(ABORT, 'cases are broken'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_cases() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'cases are broken'; END $$",
        "CREATE TRIGGER refuse_cases BEFORE INSERT ON cases "
        "FOR EACH ROW EXECUTE FUNCTION refuse_cases()",
    ],
}


async def test_when_no_case_can_be_opened_the_resident_still_gets_the_numbers(
    office: Office, tg: SandboxClient
) -> None:
    """A real database failure while opening the case: the work is rolled back, not the help."""
    async with office.nara.db.session() as session, session.begin():
        for statement in REFUSE_CASES[session.bind.dialect.name]:
            await session.execute(text(statement))
    nour = await tg.add_user("Nour", language_code="ar")
    await nour.say("أريد أن أنهي حياتي الليلة")
    reply = await nour.next_message()
    assert "112" in reply.text and "90101" in reply.text
    # Honest: no person was told, so the reply says to call.
    told = plain(Text.of(
        "I am a computer program, so please call one of these numbers to talk to a person."
    ), "ar")
    assert told in reply.text
    alert = await office.group.next_message()
    assert "⚠️" in alert.text and "Nour" in alert.text and "أريد أن أنهي حياتي" in alert.text
    async with office.nara.db.session() as session:
        assert await casework.cases_waiting(session) == []


async def test_the_bot_triages_with_the_vocabulary_staff_edited(
    telegram: LocalTelegram, tg: SandboxClient, tmp_path: Path, sqlite_url: str
) -> None:
    folder = vocabulary_with(tmp_path, "no-food", "kylskåpet ekar tomt")
    async with running_bot(bot_settings(telegram.url, sqlite_url, triage=folder)):
        ebba = await tg.add_user("Ebba", language_code="sv")
        await ebba.say("kylskåpet ekar tomt och barnen frågar efter mat")
        reply = await ebba.next_message()
    assert "112" in reply.text and "mat" in reply.text.lower()
