"""/forget end to end: a resident deletes what the chat saved; a case and its records stay."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app.runtime import Nara
from storage import casework, queries
from storage.models import Resident
from tests.bot.harness import Office
from tgserver import SandboxClient


def cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


async def test_no_keeps_everything_and_yes_deletes_the_resident(
    nara: Nara, tg: SandboxClient
) -> None:
    olena = await tg.add_user("Olena", language_code="uk")
    await olena.say("/language")
    await olena.next_message()
    await olena.press("العربية")
    await olena.next_message()
    await olena.say("/forget")
    question = await olena.next_message()
    assert arabic(question.text) and len(question.button_texts) == 2

    await olena.press(question.button_texts[1], message=question)
    assert arabic((await olena.next_message()).text)
    async with nara.db.session() as session:
        assert await queries.find_resident(session, olena.id) is not None

    await olena.press(question.button_texts[0], message=question)
    done = await olena.next_message()
    assert arabic(done.text)
    async with nara.db.session() as session:
        assert await queries.find_resident(session, olena.id) is None
        assert await session.scalar(select(func.count()).select_from(Resident)) == 0
    # The menu in the chosen language went too: Telegram's language (Ukrainian) applies again.
    menu = await olena.commands()
    assert "forget" in {c["command"] for c in menu}
    assert all(cyrillic(c["description"]) for c in menu), menu

    await olena.say("/help")
    assert cyrillic((await olena.next_message()).text)


async def test_a_resident_with_a_case_keeps_the_case_and_can_still_be_answered(
    office: Office, tg: SandboxClient
) -> None:
    lina = await tg.add_user("Lina", language_code="en")
    await lina.say("/person")
    await lina.next_message()
    notification = await office.group.next_message()
    await lina.say("/forget")
    question = await lina.next_message()
    await lina.press("Yes, delete", message=question)
    done = await lina.next_message()
    assert "records of your case" in done.text

    async with office.nara.db.session() as session:
        resident = await queries.find_resident(session, lina.id)
        assert resident is not None and resident.recent_texts is None
        assert await casework.active_case(session, resident.id) is not None
    await office.sara.press(notification.button_texts[0], message=notification, chat=office.group)
    assert "Sara" in (await lina.next_message()).text
    await office.sara.next_message()  # how to answer
    await lina.say("Thank you, I need help with rent")
    relayed = await office.sara.next_message()
    assert "I need help with rent" in relayed.text


async def test_forged_forget_buttons_and_staff_get_nothing_deleted(
    office: Office, tg: SandboxClient
) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    await ali.say("/forget")
    question = await ali.next_message()
    press = await ali.forge_callback(question, "forget:everything")
    assert "does not work" in (await tg.callback_answer(press))["text"]
    await office.sara.say("/forget")
    # Staff are not residents: for them there is no such command.
    assert "kommandot" in (await office.sara.next_message()).text
    assert await office.sara.unread_messages() == []
    async with office.nara.db.session() as session:
        assert await queries.find_resident(session, ali.id) is not None
