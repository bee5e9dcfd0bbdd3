"""The control API and SandboxClient, with a real PTB application as the bot under test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import Forbidden
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.tgserver.conftest import TOKEN, Server
from tgserver.client import SandboxClient, SandboxError, SandboxTimeout

LANGUAGES = InlineKeyboardMarkup([[InlineKeyboardButton("Svenska", callback_data="lang:sv"),
                                   InlineKeyboardButton("العربية", callback_data="lang:ar")]])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and offer languages."""
    await update.effective_message.reply_html("<b>Välkommen!</b> Välj språk:",
                                              reply_markup=LANGUAGES)


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Confirm the chosen language."""
    query = update.callback_query
    await query.answer("✓")
    await query.edit_message_text(f"Språk: {query.data.split(':')[1]}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeat text."""
    await update.effective_message.reply_text(f"eko: {update.effective_message.text}")


async def describe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what kind of media arrived."""
    message = update.effective_message
    if message.sticker:
        await message.reply_text(f"klistermärke {message.sticker.emoji}")
    elif message.location:
        await message.reply_text(f"plats {message.location.latitude}")
    elif message.voice:
        await message.reply_text(f"röst {message.voice.mime_type}")


@pytest.fixture
async def application(server: Server) -> AsyncIterator[Application]:
    app = (
        ApplicationBuilder().token(TOKEN).base_url(f"{server.url}/bot")
        .base_file_url(f"{server.url}/file/bot").build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(choose_language, pattern="^lang:"))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.Sticker.ALL | filters.LOCATION | filters.VOICE,
                                   describe))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=5)
        yield app
        await app.updater.stop()
        await app.stop()


@pytest.mark.usefixtures("application")
async def test_a_conversation_with_a_real_bot(tg: SandboxClient) -> None:
    alice = await tg.add_user("Alice", language_code="ar")
    await alice.say("/start")
    welcome = await alice.next_message()
    assert welcome.text == "Välkommen! Välj språk:"
    assert welcome.html == "<b>Välkommen!</b> Välj språk:"
    assert welcome.button_texts == ["Svenska", "العربية"]
    assert welcome.reply_to_message_id is None

    press = await alice.press("العربية")
    assert (press.message_id, press.data) == (welcome.id, "lang:ar")
    answer = await alice.callback_answer(press)
    assert (answer["answered"], answer["text"]) == (True, "✓")
    edited = await alice.next_edit(welcome)
    assert (edited.text, edited.buttons, edited.edited) == ("Språk: ar", [], True)

    await alice.say("hej")
    assert (await alice.next_message()).text == "eko: hej"
    await alice.send_sticker("🙂")
    assert (await alice.next_message()).text == "klistermärke 🙂"
    await alice.send_location(59.33, 18.06)
    assert (await alice.next_message()).text == "plats 59.33"
    await alice.send_voice(duration=4)
    assert (await alice.next_message()).text == "röst audio/ogg"

    transcript = await alice.chat_messages()
    assert [(m.from_bot, m.text) for m in transcript][:3] == [
        (False, "/start"), (True, "Språk: ar"), (False, "hej")]
    assert transcript[1].callback_queries[0]["text"] == "✓"
    assert await alice.unread_messages() == []


@pytest.mark.usefixtures("application")
async def test_people_are_served_separately(tg: SandboxClient) -> None:
    alice, bob = await tg.add_user("Alice"), await tg.add_user("Bob", language_code="so")
    await alice.say("ett")
    await bob.say("laba")
    assert (await bob.next_message()).text == "eko: laba"
    assert (await alice.next_message()).text == "eko: ett"


async def test_next_message_failsafe_explains(tg: SandboxClient) -> None:
    alice = await tg.add_user("Alice")
    await alice.say("is anyone there?")
    with pytest.raises(SandboxTimeout) as raised:
        await alice.next_message(within=0.05)
    assert "Alice waited" in str(raised.value)
    assert "is anyone there?" in str(raised.value)


async def test_buttons_must_exist_to_be_pressed(server: Server, tg: SandboxClient,
                                                bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice")
    await alice.say("/start")
    sent = await bot.send_message(alice.id, "Välj", reply_markup=LANGUAGES)
    with pytest.raises(SandboxError) as missing:
        await alice.press("Deutsch")
    assert missing.value.status == 400
    assert "'Svenska', 'العربية'" in missing.value.message
    with pytest.raises(SandboxError):
        await alice.press_data(sent.message_id, "lang:de")
    with pytest.raises(SandboxError) as not_found:
        await alice.press_data(999, "lang:sv")
    assert not_found.value.status == 404
    # A modified client can still send anything; the bot must cope.
    forged = await alice.forge_callback(sent.message_id, "admin:delete_all")
    update = (await bot.get_updates(offset=2))[-1]
    assert (update.callback_query.id, update.callback_query.data) == (
        forged.id, "admin:delete_all")
    assert server.world.callback_queries[forged.id].forged is True


async def test_group_privacy_mode(server: Server, tg: SandboxClient, bot: telegram.Bot) -> None:
    alice, bob = await tg.add_user("Alice"), await tg.add_user("Bob")
    group = await tg.add_group("Handläggare", [alice, bob])
    first = await bot.get_updates()
    assert first[-1].my_chat_member.new_chat_member.status == "member"
    await alice.say("hej alla", chat=group)  # not for the bot
    await alice.say("/start@nara_test_bot", chat=group)
    await alice.say("/other@some_other_bot", chat=group)
    posted = await bot.send_message(group.id, "Nytt ärende")
    await bob.say("Jag tar det", chat=group, reply_to=posted.message_id)
    updates = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in updates] == ["/start@nara_test_bot", "Jag tar det"]
    assert updates[1].message.reply_to_message.message_id == posted.message_id
    assert (await group.next_message()).text == "Nytt ärende"
    texts = [m.text for m in await group.messages()]
    assert "hej alla" in texts  # people see everything, of course

    # An administrator bot (or one without privacy mode) sees all messages.
    await tg.request("PATCH", f"/bots/{server.bot.id}", json={"privacy_mode": False})
    await bob.say("vanligt prat", chat=group)
    assert [u.message.text for u in await bot.get_updates(offset=updates[-1].update_id + 1)] == [
        "vanligt prat"]


async def test_command_menu_resolution(server: Server, tg: SandboxClient,
                                       bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice", language_code="ar")
    sven = await tg.add_user("Sven", language_code="sv-SE")
    other = await tg.add_user("Olle")
    await alice.say("/start")
    group = await tg.add_group("Team", [sven, alice])  # Sven creates it: an administrator

    def names(commands: list[dict]) -> list[str]:
        return [c["command"] for c in commands]

    assert await tg.commands_for(alice) == []
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("start", "ابدأ")], language_code="ar")
    assert (await tg.commands_for(alice))[0]["description"] == "ابدأ"
    assert (await tg.commands_for(sven))[0]["description"] == "Start"  # no Swedish list
    await bot.set_my_commands([BotCommand("hjalp", "Hjälp")], language_code="sv",
                              scope=BotCommandScopeAllPrivateChats())
    assert names(await tg.commands_for(sven)) == ["hjalp"]  # language_code "sv-SE" -> "sv"
    assert names(await tg.commands_for(other)) == ["start"]
    await bot.set_my_commands([BotCommand("mina", "Mina ärenden")],
                              scope=BotCommandScopeChat(alice.id))
    menu = await tg.command_menu(alice)
    assert (names(menu["commands"]), menu["scope"]) == (
        ["mina"], {"type": "chat", "chat_id": alice.id})

    await bot.set_my_commands([BotCommand("team", "Team")], scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands([BotCommand("tilldela", "Tilldela")],
                              scope=BotCommandScopeAllChatAdministrators())
    assert names(await tg.commands_for(alice, group)) == ["team"]
    assert names(await tg.commands_for(sven, group)) == ["tilldela"]
    await bot.set_my_commands([BotCommand("jag", "Jag")],
                              scope=BotCommandScopeChatMember(group.id, alice.id))
    assert names(await tg.commands_for(alice, group)) == ["jag"]
    assert names(await tg.commands_for(alice)) == ["mina"]


async def test_event_feed_long_polls(server: Server, tg: SandboxClient,
                                     bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice")
    await alice.say("/start")
    seq = server.world.event_seq
    waiting = asyncio.create_task(tg.events(after=seq, wait=10))
    sent = await bot.send_message(alice.id, "<i>hej</i>", parse_mode="HTML")
    async with asyncio.timeout(10):
        events = await waiting
    assert [e["type"] for e in events] == ["message_new"]
    assert events[0]["message"]["message_id"] == sent.message_id
    assert events[0]["message"]["html"] == "<i>hej</i>"
    assert events[0]["chat_id"] == alice.id
    await bot.delete_message(alice.id, sent.message_id)
    deleted = await tg.events(after=events[-1]["seq"])
    assert [(e["type"], e["message"]["deleted"]) for e in deleted] == [("message_deleted", True)]


async def test_blocking_through_the_client(tg: SandboxClient, bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice")
    await alice.say("/start")
    await alice.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hej")
    await alice.say("hej igen")  # a client restarts (unblocks) the bot first
    assert (await bot.send_message(alice.id, "välkommen tillbaka")).text == "välkommen tillbaka"
    statuses = [(u.my_chat_member.new_chat_member.status if u.my_chat_member else None)
                for u in await bot.get_updates()]
    assert statuses == [None, "kicked", "member", None]


async def test_reply_keyboard_buttons(tg: SandboxClient, bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice")
    await alice.say("/start")
    await bot.send_message(alice.id, "Ditt nummer?", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton("Dela nummer", request_contact=True)], ["Hoppa över"]]))
    assert (await alice.next_message()).reply_keyboard == [["Dela nummer"], ["Hoppa över"]]
    shared = await alice.press_reply("Dela nummer")
    assert shared.api["contact"]["user_id"] == alice.id
    assert (await alice.press_reply("Hoppa över")).text == "Hoppa över"
    with pytest.raises(SandboxError, match="no reply keyboard button 'Avbryt'"):
        await alice.press_reply("Avbryt")


async def test_media_from_people(server: Server, tg: SandboxClient, bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice")
    await alice.send_photo(caption="Mitt <b>intyg</b>")
    await alice.send_document("intyg.txt", mime_type="text/plain", content="Intyg 2024")
    await alice.send_contact("+46701234567")
    photo, document, contact = [u.message for u in await bot.get_updates()]
    assert photo.caption == "Mitt <b>intyg</b>"  # people type text, not markup
    assert [size.width for size in photo.photo] == [90, 320, 800, 1280]
    assert (document.document.file_name, document.document.mime_type) == (
        "intyg.txt", "text/plain")
    file = await bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"Intyg 2024"
    assert (contact.contact.phone_number, contact.contact.user_id) == ("+46701234567", alice.id)


async def test_people_edit_their_messages(tg: SandboxClient, bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice")
    said = await alice.say("hej")
    await alice.edit(said, "hej då")
    updates = await bot.get_updates()
    assert updates[-1].edited_message.text == "hej då"
    assert updates[-1].edited_message.message_id == said.id


async def test_control_api_errors_and_summary(server: Server, tg: SandboxClient) -> None:
    with pytest.raises(SandboxError) as missing_name:
        await tg.request("POST", "/users", json={"last_name": "Utan förnamn"})
    assert missing_name.value.status == 400
    with pytest.raises(SandboxError) as unknown:
        await tg.request("POST", "/users/5/messages", json={"text": "hej"})
    assert unknown.value.status == 404
    alice = await tg.add_user("Alice")
    group = await tg.add_group("Grupp", [alice])
    with pytest.raises(SandboxError, match="not a member"):
        await (await tg.add_user("Utomstående")).say("hej", chat=group)
    async with aiohttp.ClientSession() as http, http.get(
        f"{server.url}/sandbox/api"
    ) as response:
        summary = await response.json()
    assert summary["bots"][0]["username"] == "nara_test_bot"
    assert {u["first_name"] for u in summary["users"]} == {"Alice", "Utomstående"}
    assert [c["title"] for c in summary["chats"]] == ["Grupp"]


async def test_client_helpers(server: Server, tg: SandboxClient, bot: telegram.Bot) -> None:
    alice = await tg.add_user("Alice", language_code="fa")
    again = await tg.user(alice.id)
    assert (again.id, again.first_name, again.language_code) == (alice.id, "Alice", "fa")
    group = await tg.add_group("Team", [alice], bot_is_admin=True)
    assert server.world.groups[group.id].members[server.bot.id] == "administrator"
    bob = await tg.add_user("Bob")
    await group.add(bob)
    await bob.say("hej", chat=group)  # an administrator bot sees plain chatter
    assert (await bot.get_updates())[-1].message.text == "hej"
    posted = await bot.send_message(group.id, "Välj", reply_markup=LANGUAGES)
    seen = await bob.next_message(chat=group)
    assert seen.id == posted.message_id
    press = await bob.press("Svenska", message=seen, chat=group)
    assert press.data == "lang:sv"
    assert (await bob.refresh(seen)).callback_queries[0]["answered"] is False
    await tg.throttle_next("getMe", retry_after=2)
    await tg.delay("getMe", 0.01, count=1)
    rules = (await tg.request("GET", "/faults"))["rules"]
    assert [(r["method"], r["status"]) for r in rules] == [("getme", 429), ("getme", None)]


async def test_a_webhook_bot(server: Server, tg: SandboxClient) -> None:
    """The project's way: PTB without an Updater, fed by an aiohttp webhook endpoint."""
    import secrets

    from aiohttp import web

    secret = "webhook-secret_1"
    app = (ApplicationBuilder().token(TOKEN).base_url(f"{server.url}/bot").updater(None)
           .build())
    app.add_handler(MessageHandler(filters.TEXT, echo))

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not secrets.compare_digest(given, secret):
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    endpoint = web.Application()
    endpoint.router.add_post("/telegram", receive)
    runner = web.AppRunner(endpoint)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with app:
            await app.start()
            await app.bot.set_webhook(f"http://{host}:{port}/telegram", secret_token=secret)
            alice = await tg.add_user("Alice")
            await alice.say("hej via webhook")
            assert (await alice.next_message()).text == "eko: hej via webhook"
            await app.stop()
    finally:
        await runner.cleanup()
