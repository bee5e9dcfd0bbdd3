"""Asking about support, end to end: cards in the resident's language, buttons, topics, gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app.runtime import Nara
from storage import queries
from tgserver import SandboxClient

ARABIC = range(0x0600, 0x0700)


def arabic(text: str) -> bool:
    return any(ord(ch) in ARABIC for ch in text)


async def test_an_arabic_question_gets_arabic_cards_with_working_buttons(
    nara: Nara, tg: SandboxClient
) -> None:
    amal = await tg.add_user("Amal", language_code="ar")
    await amal.say("ما عندي فلوس للإيجار هذا الشهر، ماذا أفعل؟")
    first = await amal.next_message()
    assert arabic(first.text)
    title = nara.catalogue["financial-aid"].title["ar"]
    assert title in first.text
    assert "<b>" in first.html
    labels = first.button_texts
    assert len(labels) >= 4 and all(arabic(label) or "🌐" in label for label in labels)

    more = await amal.press(labels[0], message=first)  # "Tell me more"
    assert (await tg.callback_answer(more))["answered"]
    details = await amal.next_message()
    assert nara.catalogue["financial-aid"].description["ar"].split(".")[0][:20] in details.text

    reach_label = next(label for label in details.button_texts if label == labels[1])
    await amal.press(reach_label, message=details)
    contact = await amal.next_message()
    # In Arabic a number is kept whole with no-break spaces (see flows/bidi.py).
    assert "08-465\u00a0004\u00a000" in contact.text and "112" in contact.text
    assert arabic(contact.text)


async def test_a_swedish_question_without_diacritics_finds_financial_aid(
    nara: Nara, tg: SandboxClient
) -> None:
    olle = await tg.add_user("Olle", language_code="sv")
    await olle.say("kan jag fa hjalp att betala hyran")
    card = await olle.next_message()
    assert nara.catalogue["financial-aid"].title["sv"] in card.text
    assert "Boka ett samtal" in card.button_texts or any("Boka" in b for b in card.button_texts)


async def test_nothing_fits_is_said_honestly_and_the_question_kept_without_numbers(
    nara: Nara, tg: SandboxClient
) -> None:
    erik = await tg.add_user("Erik", language_code="en")
    await erik.say("what will the weather be tomorrow? call me on 070-123 45 67")
    reply = await erik.next_message()
    assert "did not find" in reply.text
    assert reply.button_texts == ["Choose a topic", "Talk to a person"]
    await nara.usage.flush()
    async with nara.db.session() as session:
        kept = await queries.unanswered_since(session, datetime.now(UTC) - timedelta(hours=1))
        usage = await queries.usage_since(session, (datetime.now(UTC) - timedelta(days=8)).date())
    assert len(kept) == 1
    assert "070" not in kept[0].text and "[number]" in kept[0].text
    assert kept[0].language == "en"
    assert [(u.kind, u.service_id, u.language) for u in usage] == [("search", "", "en")]


async def test_topics_menu_leads_to_services_and_counts_what_was_opened(
    nara: Nara, tg: SandboxClient
) -> None:
    sara = await tg.add_user("Sara", language_code="sv")
    await sara.say("/services")
    menu = await sara.next_message()
    assert len(menu.button_texts) == 8
    await sara.press(menu.button_texts[2], message=menu)  # family and children
    listing = await sara.next_message()
    parent = nara.catalogue["parent-support"].title["sv"]
    assert parent in listing.button_texts
    await sara.press(parent, message=listing)
    card = await sara.next_message()
    assert parent in card.text
    await nara.usage.flush()
    async with nara.db.session() as session:
        usage = await queries.usage_since(session, (datetime.now(UTC) - timedelta(days=8)).date())
    assert [(u.kind, u.service_id) for u in usage] == [("open", "parent-support")]


async def test_the_language_can_be_switched_from_a_card(nara: Nara, tg: SandboxClient) -> None:
    olena = await tg.add_user("Olena", language_code="sv")
    await olena.say("/services")
    menu = await olena.next_message()
    await olena.press(menu.button_texts[0], message=menu)  # money
    listing = await olena.next_message()
    title = nara.catalogue["financial-aid"].title
    await olena.press(title["sv"], message=listing)
    card = await olena.next_message()
    assert title["sv"] in card.text
    language_button = next(label for label in card.button_texts if "🌐" in label)
    await olena.press(language_button, message=card)
    choice = await olena.next_message()
    await olena.press("Українська", message=choice)
    await olena.next_message()
    await olena.press(title["sv"], message=listing)
    again = await olena.next_message()
    assert title["uk"] in again.text


async def test_forged_card_buttons_show_nothing(nara: Nara, tg: SandboxClient) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    await ali.say("/services")
    menu = await ali.next_message()
    for forged in ("more:no-such-service", "topic:weather", "svc:", "reach:../../etc"):
        press = await ali.forge_callback(menu, forged)
        assert "does not work" in (await tg.callback_answer(press))["text"]
    assert await ali.unread_messages() == []


async def test_tidying_forgets_questions_after_the_retention_time(nara: Nara) -> None:
    now = datetime.now(UTC)
    async with nara.db.session() as session, session.begin():
        await queries.keep_unanswered(
            session, text="old", language="sv", now=now - timedelta(days=91)
        )
        await queries.keep_unanswered(
            session, text="new", language="sv", now=now - timedelta(days=89)
        )
    await nara.tidy()
    async with nara.db.session() as session:
        kept = await queries.unanswered_since(session, now - timedelta(days=365))
    assert [q.text for q in kept] == ["new"]
