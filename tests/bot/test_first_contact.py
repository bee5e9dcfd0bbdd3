"""A resident's first minutes with Nära, end to end over HTTP."""

from __future__ import annotations

from bot.app.runtime import Nara
from bot.core.i18n import plain
from flows.replies import Text
from tests.bot.harness import LocalTelegram, bot_settings, running_bot
from tgserver import SandboxClient


async def test_start_greets_in_swedish_and_says_it_is_automated(
    nara: Nara, tg: SandboxClient
) -> None:
    sven = await tg.add_user("Sven", language_code="sv")
    await sven.say("/start")
    greeting = await sven.next_message()
    assert "automatisk" in greeting.text.lower()
    assert "112" in greeting.text
    assert "08:00" in greeting.text and "16:00" in greeting.text


async def test_an_arabic_speaker_gets_arabic_and_can_switch_language_for_good(
    telegram: LocalTelegram, tg: SandboxClient, sqlite_url: str
) -> None:
    settings = bot_settings(telegram.url, sqlite_url)
    amal = await tg.add_user("Amal", language_code="ar")
    async with running_bot(settings):
        await amal.say("/help")
        help_text = await amal.next_message()
        assert "112" in help_text.text
        assert any("\u0600" <= ch <= "\u06ff" for ch in help_text.text), help_text.text

        await amal.say("/language")
        choice = await amal.next_message()
        assert choice.button_texts == [
            "Svenska",
            "English",
            "العربية",
            "دری",
            "Soomaali",
            "ትግርኛ",
            "Українська",
            "Suomi",
        ]
        press = await amal.press("Українська")
        answer = await tg.callback_answer(press)
        assert answer["answered"]
        confirmation = await amal.next_message()
        assert "Українська" in confirmation.text
        menu = await amal.commands()
        assert {c["command"] for c in menu} == {
            "start",
            "help",
            "language",
            "services",
            "person",
            "contact",
            "book",
            "bookings",
            "checkins",
            "forget",
        }
        assert any("\u0400" <= ch <= "\u04ff" for c in menu for ch in c["description"]), menu

    # A new process on the same database still writes Ukrainian.
    async with running_bot(bot_settings(telegram.url, sqlite_url)):
        await amal.say("/help")
        after_restart = await amal.next_message()
    assert any("\u0400" <= ch <= "\u04ff" for ch in after_restart.text), after_restart.text


async def test_dari_from_telegram_fa_and_every_language_has_its_greeting(
    nara: Nara, tg: SandboxClient
) -> None:
    greetings = {}
    for code in ("fa", "so", "ti", "fi", "en", "uk", "ar", "sv"):
        person = await tg.add_user(f"P-{code}", language_code=code)
        await person.say("/start")
        greetings[code] = (await person.next_message()).text
    assert len(set(greetings.values())) == 8, "each language greets in its own words"
    assert any("\u1200" <= ch <= "\u137f" for ch in greetings["ti"])


async def test_stickers_photos_voice_locations_and_unknown_commands_get_kind_answers(
    nara: Nara, tg: SandboxClient
) -> None:
    sara = await tg.add_user("Sara", language_code="en")
    await sara.send_sticker()
    assert "only read text" in (await sara.next_message()).text
    await sara.send_photo()
    assert "pictures" in (await sara.next_message()).text
    await sara.send_voice()
    assert "voice" in (await sara.next_message()).text
    await sara.send_location(59.33, 18.06)
    assert "location" in (await sara.next_message()).text
    await sara.send_document()
    assert "documents" in (await sara.next_message()).text
    await sara.say("/frobnicate")
    assert "/help" in (await sara.next_message()).text


async def test_words_written_with_a_photo_are_read_as_a_question(
    nara: Nara, tg: SandboxClient
) -> None:
    hodan = await tg.add_user("Hodan", language_code="so")
    await hodan.send_photo(caption="lacag kuma filna cunto bishan")
    card = await hodan.next_message()
    assert nara.catalogue["financial-aid"].title["so"] in card.text
    note = await hodan.next_message()
    assert note.text.endswith(plain(Text.of("I read only the words you wrote with it."), "so"))


async def test_a_forged_button_gets_a_kind_note_and_changes_nothing(
    nara: Nara, tg: SandboxClient
) -> None:
    eva = await tg.add_user("Eva", language_code="en")
    await eva.say("/language")
    choice = await eva.next_message()
    for forged in ("lang:xx", "'; DROP TABLE residents; --", "x" * 64):
        press = await eva.forge_callback(choice, forged)
        answer = await tg.callback_answer(press)
        assert "does not work" in answer["text"]
    # A staff button pressed by a resident: nothing at all happens.
    press = await eva.forge_callback(choice, "case:claim:1")
    assert not (await tg.callback_answer(press))["text"]
    await eva.say("/help")
    assert "language" in (await eva.next_message()).text  # still English
