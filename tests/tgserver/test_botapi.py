"""The Bot API over real HTTP, driven by python-telegram-bot's own ``Bot``."""

from __future__ import annotations

import json

import aiohttp
import pytest
import telegram
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken

from tests.tgserver.conftest import BOT_USERNAME, TOKEN, Server


async def test_get_me_has_telegrams_shape(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (123456, True, "Nära", BOT_USERNAME)
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False  # privacy mode, Telegram's default
    assert me.supports_inline_queries is False


async def test_raw_wire_format(server: Server) -> None:
    """Every way Telegram accepts parameters works, and answers are Telegram's JSON."""
    alice = server.started_user()
    base = f"{server.url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/GETME") as response:  # names are case-insensitive
            assert response.status == 200
            assert (await response.json())["result"]["id"] == 123456
        async with http.get(f"{base}/sendMessage",
                            params={"chat_id": alice.id, "text": "query"}) as response:
            assert (await response.json())["result"]["text"] == "query"
        async with http.post(f"{base}/sendMessage",
                             json={"chat_id": alice.id, "text": "json",
                                   "reply_markup": {"inline_keyboard": [
                                       [{"text": "A", "callback_data": "a"}]]}}) as response:
            body = await response.json()
            assert body["ok"] is True
            assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice.id))
        form.add_field("document", b"hello", filename="hej.txt", content_type="text/plain")
        async with http.post(f"{base}/sendDocument", data=form) as response:
            document = (await response.json())["result"]["document"]
            assert (document["file_name"], document["file_size"]) == ("hej.txt", 5)
        async with http.post(f"{base}/sendMessage", data={"chat_id": alice.id}) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False, "error_code": 400, "description": "Bad Request: message text is empty",
            }
        async with http.get(f"{server.url}/bot123456:wrong/getMe") as response:
            assert (response.status, (await response.json())["description"]) == (
                401, "Unauthorized")
        async with http.get(f"{server.url}/botnot-a-token/getMe") as response:
            assert (response.status, (await response.json())["description"]) == (404, "Not Found")
        async with http.get(f"{base}/noSuchMethod") as response:
            assert (response.status, (await response.json())["description"]) == (404, "Not Found")


async def test_send_message_round_trip_with_html(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    sent = await bot.send_message(
        alice.id, "😀 <b>مرحبا</b> &amp; <a href='https://1177.se'>ትግርኛ</a>  ",
        parse_mode=ParseMode.HTML,
    )
    assert sent.text == "😀 مرحبا & ትግርኛ"
    assert sent.chat.id == alice.id
    assert sent.from_user.id == 123456
    assert sent.entities == (
        MessageEntity(MessageEntity.BOLD, 3, 5),
        MessageEntity(MessageEntity.TEXT_LINK, 11, 4, url="https://1177.se/"),
    )
    stored = server.world.private_chat(server.bot, alice).messages[sent.message_id]
    assert stored.text == sent.text
    assert isinstance(sent.date.timestamp(), float)
    assert server.world.private_chat(server.bot, alice).messages[1].text == "/start"
    assert sent.message_id == 2  # ids grow per chat, both directions


async def test_markdown_v2_and_bad_parse_mode(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    sent = await bot.send_message(alice.id, "*fet* 1177\\.se", parse_mode=ParseMode.MARKDOWN_V2)
    assert (sent.text, sent.entities[0].type) == ("fet 1177.se", MessageEntity.BOLD)
    with pytest.raises(BadRequest, match="reserved and must be escaped"):
        await bot.send_message(alice.id, "1177.se", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(alice.id, "x", parse_mode="Fancy")
    assert raised.value.message == "Unsupported parse_mode"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<x>y</x>", 'Can\'t parse entities: unsupported start tag "x" at byte offset 0'),
        ("<b>y", 'Can\'t parse entities: can\'t find end tag corresponding to start tag "b"'),
        ("<b></b>  ", "Message must be non-empty"),
        ("x" * 4097, "Message is too long"),
        ("😀" * 2049, "Message is too long"),  # 4098 UTF-16 code units
    ],
)
async def test_text_validation(server: Server, bot: telegram.Bot, text: str, message: str
                               ) -> None:
    alice = server.started_user()
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(alice.id, text, parse_mode=ParseMode.HTML)
    # PTB strips "Bad Request: " and capitalises the rest.
    assert raised.value.message == message
    assert len(server.world.private_chat(server.bot, alice).messages) == 1  # only /start


async def test_longest_text_is_accepted(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    sent = await bot.send_message(alice.id, "<b>" + "ب" * 4096 + "</b>", parse_mode="HTML")
    assert len(sent.text) == 4096


async def test_empty_text_raw_description(server: Server) -> None:
    alice = server.started_user()
    async with aiohttp.ClientSession() as http, http.post(
        f"{server.url}/bot{TOKEN}/sendMessage", data={"chat_id": alice.id, "text": ""}
    ) as response:
        assert (await response.json())["description"] == "Bad Request: message text is empty"


async def test_chat_errors(server: Server, bot: telegram.Bot) -> None:
    stranger = server.world.add_user("Stranger")
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(424242, "hej")
    assert raised.value.message == "Chat not found"
    with pytest.raises(Forbidden) as forbidden:
        await bot.send_message(stranger.id, "hej")
    assert forbidden.value.message == "Forbidden: bot can't initiate conversation with a user"

    alice = server.started_user()
    server.world.block(alice, server.bot)
    with pytest.raises(Forbidden) as blocked:
        await bot.send_message(alice.id, "hej")
    assert blocked.value.message == "Forbidden: bot was blocked by the user"

    group = server.world.add_group("Handläggare", [alice], bots=[server.bot])
    server.world.remove_member(group, server.bot.user, by=alice)
    with pytest.raises(Forbidden) as kicked:
        await bot.send_message(group.id, "hej")
    assert kicked.value.message == "Forbidden: bot was kicked from the group chat"
    server.world.add_member(group, server.bot.user, by=alice)
    server.world.remove_member(group, server.bot.user)
    with pytest.raises(Forbidden) as left:
        await bot.send_message(group.id, "hej")
    assert left.value.message == "Forbidden: bot is not a member of the group chat"


async def test_invalid_tokens(server: Server) -> None:
    for token, description in [("123456:not-the-real-secret", "Unauthorized"),
                               ("malformed", "Not Found")]:
        with pytest.raises(InvalidToken, match="rejected by the server") as raised:
            async with server.ptb(token):
                pass
        assert isinstance(raised.value.__cause__, InvalidToken)
        assert raised.value.__cause__.message == description


async def test_a_revoked_token_stops_working_at_once(server: Server) -> None:
    new_token = server.world.revoke_token(TOKEN)
    assert new_token != TOKEN and new_token.split(":")[0] == TOKEN.split(":")[0]
    with pytest.raises(InvalidToken):
        async with server.ptb(TOKEN):
            pass
    async with server.ptb(new_token) as bot:
        assert (await bot.get_me()).username == BOT_USERNAME


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        ("ب" * 32, True),  # Arabic: 2 bytes a letter, 64 bytes
        ("ب" * 33, False),  # 66 bytes although only 33 characters
        ("ት" * 21 + "a", True),  # Tigrinya: 3 bytes a syllable, 64 bytes
        ("ት" * 22, False),  # 66 bytes
        ("x" * 64, True),
        ("x" * 65, False),
    ],
)
async def test_callback_data_limit_is_in_bytes(server: Server, bot: telegram.Bot, data: str,
                                               accepted: bool) -> None:
    alice = server.started_user()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Välj", callback_data=data)]])
    if accepted:
        sent = await bot.send_message(alice.id, "Välj", reply_markup=markup)
        assert sent.reply_markup.inline_keyboard[0][0].callback_data == data
    else:
        with pytest.raises(BadRequest) as raised:
            await bot.send_message(alice.id, "Välj", reply_markup=markup)
        assert raised.value.message == "Button_data_invalid"
        assert len(server.world.private_chat(server.bot, alice).messages) == 1


async def test_inline_button_needs_exactly_one_action(server: Server) -> None:
    alice = server.started_user()

    async def send(buttons: list[dict]) -> dict:
        async with aiohttp.ClientSession() as http, http.post(
            f"{server.url}/bot{TOKEN}/sendMessage",
            data={"chat_id": alice.id, "text": "x",
                  "reply_markup": json.dumps({"inline_keyboard": [buttons]})},
        ) as response:
            return await response.json()

    assert (await send([{"text": "only text"}]))["description"] == (
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard"
    )
    assert (await send([{"text": "empty", "callback_data": ""}]))["description"].endswith(
        "Text buttons are unallowed in the inline keyboard")
    both = await send([{"text": "two", "callback_data": "a", "url": "https://nara.se"}])
    assert both["error_code"] == 400
    assert "exactly one of the optional fields" in both["description"]
    assert (await send([{"callback_data": "a"}]))["description"] == (
        "Bad Request: can't parse inline keyboard button: Can't find field \"text\""
    )
    assert (await send([{"text": "ftp", "url": "ftp://nara.se"}]))["description"] == (
        "Bad Request: inline keyboard button URL 'ftp://nara.se' is invalid: Unsupported URL "
        "protocol"
    )


async def test_reply_keyboards_are_kept_by_the_client(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    sent = await bot.send_message(alice.id, "Ditt nummer?", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton("Dela nummer", request_contact=True)], ["Avbryt"]],
        one_time_keyboard=True,
    ))
    assert sent.reply_markup is None  # a Message carries only inline keyboards
    chat = server.world.private_chat(server.bot, alice)
    assert [[b["text"] for b in row] for row in chat.reply_keyboard["keyboard"]] == [
        ["Dela nummer"], ["Avbryt"]]
    await bot.send_message(alice.id, "ok", reply_markup=ReplyKeyboardRemove())
    assert chat.reply_keyboard is None
    forced = await bot.send_message(alice.id, "Svara", reply_markup=ForceReply())
    assert server.world.message_view(chat.messages[forced.message_id])["force_reply"] is True


async def test_replies(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    replied = await bot.send_message(alice.id, "Svar", reply_parameters=ReplyParameters(1))
    assert replied.reply_to_message.text == "/start"
    legacy = await bot.send_message(alice.id, "Svar", reply_to_message_id=replied.message_id)
    assert legacy.reply_to_message.message_id == replied.message_id
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(alice.id, "Svar", reply_parameters=ReplyParameters(99))
    assert raised.value.message == "Message to be replied not found"
    lenient = await bot.send_message(
        alice.id, "Svar", reply_parameters=ReplyParameters(99, allow_sending_without_reply=True))
    assert lenient.reply_to_message is None


async def test_edit_message_text(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
    sent = await bot.send_message(alice.id, "Fråga", reply_markup=markup)
    with pytest.raises(BadRequest) as same:
        await bot.edit_message_text("Fråga", alice.id, sent.message_id, reply_markup=markup)
    assert same.value.message == (
        "Message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    # Same text without the markup is a change: Telegram removes the keyboard.
    edited = await bot.edit_message_text("Fråga", alice.id, sent.message_id)
    assert edited.reply_markup is None
    assert edited.edit_date is not None
    edited = await bot.edit_message_text("<b>Tack</b>", alice.id, sent.message_id,
                                         parse_mode="HTML")
    assert (edited.text, edited.entities[0].type) == ("Tack", MessageEntity.BOLD)
    with pytest.raises(BadRequest) as missing:
        await bot.edit_message_text("x", alice.id, 999)
    assert missing.value.message == "Message to edit not found"
    with pytest.raises(BadRequest) as foreign:
        await bot.edit_message_text("x", alice.id, 1)  # Alice's own /start
    assert foreign.value.message == "Message can't be edited"
    view = server.world.message_view(server.world.private_chat(server.bot, alice)
                                     .messages[sent.message_id])
    assert (view["text"], view["version"]) == ("Tack", 3)


async def test_edit_reply_markup_and_delete(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    sent = await bot.send_message(alice.id, "Välj")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    changed = await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=markup)
    assert changed.reply_markup == markup
    assert await bot.delete_message(alice.id, sent.message_id) is True
    with pytest.raises(BadRequest) as gone:
        await bot.delete_message(alice.id, sent.message_id)
    assert gone.value.message == "Message to delete not found"
    assert server.world.private_chat(server.bot, alice).messages[sent.message_id].deleted


async def test_answer_callback_query(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    sent = await bot.send_message(alice.id, "Välj", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Ja", callback_data="yes")]]))
    chat = server.world.private_chat(server.bot, alice)
    query = server.world.press(alice, chat.messages[sent.message_id], "yes")
    update = (await bot.get_updates(offset=2))[-1]
    assert update.callback_query.id == query.id
    assert update.callback_query.data == "yes"
    assert update.callback_query.message.message_id == sent.message_id
    assert update.callback_query.chat_instance == query.chat_instance
    assert await update.callback_query.answer("Tack!", show_alert=True) is True
    assert (query.answered, query.answer["text"], query.answer["show_alert"]) == (
        True, "Tack!", True)
    with pytest.raises(BadRequest) as twice:
        await bot.answer_callback_query(query.id)
    assert twice.value.message == (
        "Query is too old and response timeout expired or query id is invalid")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")


async def test_chat_actions_and_get_chat(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user(last_name="Andersson", language_code="sv")
    assert await bot.send_chat_action(alice.id, "typing") is True
    assert server.world.events[-1]["type"] == "chat_action"
    with pytest.raises(BadRequest, match="Wrong parameter action in request"):
        await bot.send_chat_action(alice.id, "dancing")
    chat = await bot.get_chat(alice.id)
    assert (chat.type, chat.first_name, chat.last_name) == ("private", "Alice", "Andersson")
    group = server.world.add_group("Stöd", [alice], bots=[server.bot], supergroup=True)
    info = await bot.get_chat(group.id)
    assert (info.type, info.title) == ("supergroup", "Stöd")
    assert str(group.id).startswith("-100")
    member = await bot.get_chat_member(group.id, alice.id)
    assert member.status == "creator"
    assert await bot.get_chat_member_count(group.id) == 2


async def test_media_files_and_forwarding(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    photo = await bot.send_photo(alice.id, b"\x89PNG fake", caption="<i>bild</i>",
                                 parse_mode="HTML")
    assert photo.caption == "bild" and photo.caption_entities[0].type == "italic"
    largest = photo.photo[-1]
    again = await bot.send_photo(alice.id, largest.file_id)
    assert again.photo[-1].file_size == largest.file_size
    file = await bot.get_file(largest.file_id)
    assert bytes(await file.download_as_bytearray()) == b"\x89PNG fake"
    location = await bot.send_location(alice.id, 59.33, 18.06)
    assert (location.location.latitude, location.location.longitude) == (59.33, 18.06)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_sticker(alice.id, "no-such-file-id")
    group = server.world.add_group("Team", [alice], bots=[server.bot])
    forwarded = await bot.forward_message(group.id, alice.id, 1)
    assert forwarded.text == "/start"
    assert forwarded.forward_origin.sender_user.id == alice.id
    copied = await bot.copy_message(group.id, alice.id, photo.message_id)
    assert group.messages[copied.message_id].caption == "bild"


async def test_commands_validation(bot: telegram.Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllPrivateChats

    assert await bot.set_my_commands([BotCommand("start", "Börja"), ("hjalp", "Hjälp")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "hjalp"]
    assert await bot.get_my_commands(language_code="ar") == ()
    for command, message in [
        ("Start", "Bot_command_invalid"),
        ("hjälp", "Bot_command_invalid"),
        ("a-b", "Bot_command_invalid"),
        ("x" * 33, "Command length must not exceed 32"),
    ]:
        with pytest.raises(BadRequest) as raised:
            await bot.set_my_commands([(command, "beskrivning")])
        assert raised.value.message == message
    with pytest.raises(BadRequest) as empty:
        await bot.set_my_commands([("start", " ")])
    assert empty.value.message == "Command description must be non-empty"
    with pytest.raises(BadRequest) as language:
        await bot.set_my_commands([("start", "Börja")], language_code="prs")
    assert language.value.message == "Invalid language code specified"
    with pytest.raises(BadRequest) as too_many:
        await bot.set_my_commands([(f"c{i}", "d") for i in range(101)])
    assert too_many.value.message == "Bot_commands_too_much"
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands([("start", "ابدأ")], scope=scope, language_code="ar")
    assert (await bot.get_my_commands(scope=scope, language_code="ar"))[0].description == "ابدأ"
    assert await bot.delete_my_commands(scope=scope, language_code="ar")
    assert await bot.get_my_commands(scope=scope, language_code="ar") == ()


async def test_menu_button_and_profile(server: Server, bot: telegram.Bot) -> None:
    from telegram import MenuButtonCommands, MenuButtonDefault

    alice = server.started_user()
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    assert await bot.set_chat_menu_button(alice.id, MenuButtonCommands())
    assert await bot.get_chat_menu_button(alice.id) == MenuButtonCommands()
    assert await bot.set_chat_menu_button(alice.id, MenuButtonDefault())
    assert await bot.set_my_description("Kommunens chatt", language_code="sv")
    assert (await bot.get_my_description("sv")).description == "Kommunens chatt"
    assert (await bot.get_my_name()).name == "Nära"
