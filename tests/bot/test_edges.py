"""Messages at the edges, end to end: a whole story, emoji alone, a language we lack.

Each test runs on SQLite and on PostgreSQL, with a staff group. The long-message tests
use the vocabulary copy of ``tests/vocabulary.py`` (its model never raises anything
itself), so what they see does not move when the shipped triage model is retrained: a
story about rent is calm, and ``zebrafara`` is a self-harm alarm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app.runtime import Nara
from bot.core.i18n import plain
from flows.language import LOCALES, OWN_NAMES
from flows.replies import Text
from tests.bot.harness import LocalTelegram, bot_settings, register_staff, running_bot
from tests.long_messages import RENT_AND_LOST_JOB_EN, RENT_AND_LOST_JOB_SV, TELEGRAM_LONGEST
from tests.vocabulary import ASK_WORD, vocabulary_that_asks
from tgserver import SandboxClient
from tgserver.client import ChatMessage, SandboxGroup, SandboxUser

LANGUAGE_NAMES = [OWN_NAMES[code] for code in LOCALES]
PERSON_OFFER = (
    "Thank you for telling me all this. A person from social services can go through it with you."
)


@dataclass
class Staffed:
    """A running bot with a staff group of one caseworker."""

    nara: Nara
    group: SandboxGroup
    sara: SandboxUser


@asynccontextmanager
async def staffed_bot(
    telegram: LocalTelegram, tg: SandboxClient, database_url: str, triage: Path | None
) -> AsyncIterator[Staffed]:
    sara = await tg.add_user("Sara", language_code="sv")
    group = await tg.add_group("Socialtjänsten – ärenden", [sara])
    settings = bot_settings(
        telegram.url,
        database_url,
        staff_chat_id=group.id,
        triage=str(triage) if triage is not None else None,
    )
    async with running_bot(settings) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"))
        yield Staffed(nara, group, sara)


@pytest.fixture
async def staffed(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> AsyncIterator[Staffed]:
    """The bot with the shipped triage."""
    async with staffed_bot(telegram, tg, any_database_url, None) as bot:
        yield bot


@pytest.fixture
async def steady(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str, tmp_path: Path
) -> AsyncIterator[Staffed]:
    """The bot with a triage whose levels do not move (see the opening)."""
    vocabulary = vocabulary_that_asks(tmp_path)
    async with staffed_bot(telegram, tg, any_database_url, vocabulary) as bot:
        yield bot


def said(msgid: str, locale: str) -> str:
    return plain(Text.of(msgid), locale)


async def until_person_offer(person: SandboxUser, locale: str) -> list[ChatMessage]:
    """Read the answer to a long message: its cards, then the offer of a person."""
    messages = [await person.next_message()]
    while said(PERSON_OFFER, locale) not in messages[-1].text:
        assert len(messages) <= 3, [m.text[:60] for m in messages]
        messages.append(await person.next_message())
    return messages


# -- 6. Long messages --------------------------------------------------------------------


async def test_a_long_story_is_searched_whole_and_a_person_is_offered(
    steady: Staffed, tg: SandboxClient
) -> None:
    services = steady.nara.catalogue
    for story, locale in ((RENT_AND_LOST_JOB_SV, "sv"), (RENT_AND_LOST_JOB_EN, "en")):
        assert len(story) > 2000
        nadia = await tg.add_user(f"Nadia-{locale}", language_code=locale)
        await nadia.say(story)
        *cards, offer = await until_person_offer(nadia, locale)
        assert services["financial-aid"].title[locale] in cards[0].text
        assert any(services["employment-support"].title[locale] in card.text for card in cards)
        talk = said("Talk to a person", locale)
        assert all(talk in card.button_texts for card in cards)
        assert offer.button_texts == [talk]

        await nadia.press(talk, message=offer)
        assert "112" in (await nadia.next_message()).text
        notification = await steady.group.next_message()
        assert "🟡" in notification.text
        assert await nadia.unread_messages() == []


async def test_an_alarm_at_the_end_of_a_whole_story_is_caught(
    steady: Staffed, tg: SandboxClient
) -> None:
    ending = f"\n\nJag {ASK_WORD}."
    stories = "\n\n".join([RENT_AND_LOST_JOB_SV, RENT_AND_LOST_JOB_EN, RENT_AND_LOST_JOB_SV])
    story = stories[: TELEGRAM_LONGEST - len(ending)] + ending
    assert len(story) == TELEGRAM_LONGEST
    amal = await tg.add_user("Amal", language_code="sv")
    await amal.say(story)
    safety = await amal.next_message()
    assert "112" in safety.text and "90101" in safety.text  # self-harm's numbers
    notification = await steady.group.next_message()
    assert "🔴" in notification.text


# -- 7. A Telegram language we do not have ------------------------------------------------


@pytest.mark.parametrize("language_code", ["de", None])
async def test_a_language_we_lack_is_greeted_in_english_and_swedish_with_every_language(
    staffed: Staffed, tg: SandboxClient, language_code: str | None
) -> None:
    hans = await tg.add_user("Hans", language_code=language_code)
    await hans.say("/start")
    greeting = await hans.next_message()
    assert "Hello! I am Nära" in greeting.text and "Hej! Jag är Nära" in greeting.text
    assert greeting.text.index("Hello!") < greeting.text.index("Hej!")
    assert "112" in greeting.text
    assert greeting.button_texts == LANGUAGE_NAMES

    await hans.press("English", message=greeting)
    assert "English" in (await hans.next_message()).text
    welcome_in_english = await hans.next_message()
    assert "automated service" in welcome_in_english.text
    assert "weekdays" in welcome_in_english.text
    assert welcome_in_english.button_texts == []

    # Chosen once, for good: the next /start is the ordinary greeting, in English.
    await hans.say("/start")
    again = await hans.next_message()
    assert "automated service" in again.text and "Hej!" not in again.text
    assert again.button_texts == []


async def test_a_language_we_have_is_greeted_in_it_as_before(
    staffed: Staffed, tg: SandboxClient
) -> None:
    for language_code, hello in (("sv", "Hej!"), ("ar", "مرحبًا"), ("en-GB", "Hello!")):
        noor = await tg.add_user(f"Noor-{language_code}", language_code=language_code)
        await noor.say("/start")
        greeting = await noor.next_message()
        assert greeting.text.startswith(hello)
        assert "Hello!" not in greeting.text or "Hej!" not in greeting.text
        assert greeting.button_texts == []


# -- 8. Emoji alone -----------------------------------------------------------------------


async def test_emoji_alone_get_asked_what_is_on_their_mind_and_a_person(
    staffed: Staffed, tg: SandboxClient
) -> None:
    for locale in ("en", "ar"):
        leila = await tg.add_user(f"Leila-{locale}", language_code=locale)
        await leila.say("😢😢🙏")
        reply = await leila.next_message()
        assert said("Thank you for your message. What is on your mind?", locale) in reply.text
        assert said("Sorry, I did not find support that fits your question.", locale) not in (
            reply.text
        )
        assert "112" in reply.text
        talk = said("Talk to a person", locale)
        assert reply.button_texts == [talk]

        await leila.press(talk, message=reply)
        assert "112" in (await leila.next_message()).text
        assert "🟡" in (await staffed.group.next_message()).text


async def test_a_greeting_or_thanks_alone_gets_a_kind_word_back_not_nothing_found(
    staffed: Staffed, tg: SandboxClient
) -> None:
    """ "Hej" or "سلام" is greeted back with what the bot is; "tack" gets "you are welcome"."""
    for locale, hello, thanks in (("sv", "Hej!", "tack så mycket"), ("ar", "السلام عليكم", "شكراً")):
        noor = await tg.add_user(f"Noor-{locale}", language_code=locale)
        await noor.say("/start")
        await noor.next_message()
        await noor.say(hello)
        reply = await noor.next_message()
        hello_back = Text.of(
            "Hello! I am Nära, an automated service of the social services in {municipality}.",
            municipality=staffed.nara.settings.municipality,
        )
        assert plain(hello_back, locale) in reply.text
        assert (
            said(
                "Write your question in your own words. I tell you what help there is and how to get it.",
                locale,
            )
            in reply.text
        )
        assert said("Sorry, I did not find support that fits your question.", locale) not in (
            reply.text
        )
        assert reply.button_texts == [
            said("Choose a topic", locale),
            said("Talk to a person", locale),
        ]
        await noor.say(thanks)
        reply = await noor.next_message()
        assert (
            said("You are welcome. Write to me again whenever you need help.", locale) in reply.text
        )
    # A greeting followed by a question is a question: searched, and kept when nothing fits.
    await noor.say("مرحبا، ما هو الطقس غدا")
    assert said("Sorry, I did not find support that fits your question.", "ar") in (
        (await noor.next_message()).text
    )


async def test_emoji_alone_in_an_open_case_reach_the_staff(
    staffed: Staffed, tg: SandboxClient
) -> None:
    omar = await tg.add_user("Omar", language_code="en")
    await omar.say("/person")
    await omar.next_message()
    await staffed.group.next_message()
    await omar.say("🙏")
    assert "added this to your case" in (await omar.next_message()).text
    assert "🙏" in (await staffed.group.next_message()).text


async def test_stickers_and_signs_still_get_their_own_kind_answers(
    staffed: Staffed, tg: SandboxClient
) -> None:
    eva = await tg.add_user("Eva", language_code="en")
    await eva.send_sticker("😢")
    assert "only read text" in (await eva.next_message()).text
    await eva.say("?!")
    assert "What is on your mind?" in (await eva.next_message()).text
