"""Telegram handlers: parse the update, ask a flow, queue what it says. Wiring is at the end."""

from __future__ import annotations

import logging
import re
import traceback

from telegram import BotCommandScope, BotCommandScopeChat, Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.calls import booking, checkins, contact
from bot.calls import hours as staff_hours
from bot.cases import asking, casework, safety_check
from bot.core.i18n import clock, current_locale, plain
from bot.core.settings import Settings
from bot.core.turn import current_turn
from flows import ask, forget, urgent, welcome
from flows import safety_check as safety_flow
from flows.calls.booking import BOOK_BUTTON
from flows.calls.contact import CONTACT_BUTTON, invite_code
from flows.calls.staff_hours import HOURS_BUTTON
from flows.checkins import PREFIX as CHECKIN_BUTTON
from flows.language import is_ours, locale_for_telegram, telegram_language_code
from flows.replies import Reply, Text
from flows.triage.classify import triage
from storage import checkins as checkin_storage
from storage import queries
from storage.casework import remember_text

log = logging.getLogger(__name__)

# t.me/<bot>?start=PAYLOAD: Telegram allows up to 64 of these characters.
_DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

PRIVATE = filters.ChatType.PRIVATE
PRACTICAL_EMERGENCIES = frozenset({"no-food", "homeless-tonight"})


async def identify(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Know who writes: a staff member (looked up every time), or a resident (met once)."""
    turn = current_turn()
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.is_bot:
        return
    if turn.known_staff is not None and user.id in turn.known_staff:
        turn.staff = turn.known_staff[user.id]
    else:
        turn.staff = await queries.active_staff_member(turn.session, user.id)
    if turn.staff is not None:
        current_locale.set(turn.settings.staff_locale)
        return
    if chat is None or chat.type != chat.PRIVATE:
        return
    resident, new = await queries.meet_resident(
        turn.session,
        telegram_user_id=user.id,
        chat_id=chat.id,
        locale=locale_for_telegram(user.language_code),
        now=turn.now,
        known=turn.known_residents,
    )
    turn.resident, turn.new_resident = resident, new
    current_locale.set(resident.locale)


def _office_hours() -> tuple[str, str]:
    hours = current_turn().settings.hours
    return clock(hours.opens), clock(hours.closes)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the resident, say what Nära is, and count the deep link they came from."""
    turn = current_turn()
    if turn.staff is not None:
        chat_id = update.effective_chat.id  # type: ignore[union-attr]
        # Staff see their own commands here, not the residents' menu.
        menu = casework.staff_menu(turn.settings.staff_locale, chat_id)
        turn.call(chat_id, "setMyCommands", menu)
        turn.say(chat_id, urgent.staff_help())
        return
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    invite = None
    if context.args and len(context.args) == 1 and _DEEP_LINK.match(context.args[0]):
        # A staff member's invite ("c-" and a code) is never counted or kept as a source.
        invite = invite_code(context.args[0])
        if invite is None:
            source = context.args[0]
            await queries.count_start(turn.session, source, turn.now.date())
            if turn.resident is not None and turn.resident.source is None:
                turn.resident.source = source
    if invite is not None and turn.resident is not None and not turn.new_resident:
        await contact.open_invite(chat_id, invite)
        return
    user = update.effective_user
    if (
        turn.resident is not None
        and not turn.resident.locale_chosen
        and not is_ours(user.language_code if user else None)
    ):
        turn.say(chat_id, _greeting_to_choose_language())
    else:
        turn.say(chat_id, _greeting())
    if invite is not None and turn.resident is not None:
        # Someone new reads what Nära is first, then who invites them.
        await contact.open_invite(chat_id, invite)


def _greeting() -> Reply:
    opens, closes = _office_hours()
    municipality = current_turn().settings.municipality
    return welcome.greeting(municipality=municipality, opens=opens, closes=closes)


def _greeting_to_choose_language() -> Reply:
    lines = welcome.short_greeting(municipality=current_turn().settings.municipality)
    return welcome.greeting_to_choose_language(
        ["\n".join(plain(line, locale) for line in lines) for locale in welcome.GREETING_LANGUAGES]
    )


async def show_help(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what the resident (or the staff member) can do."""
    turn = current_turn()
    reply = urgent.staff_help() if turn.staff is not None else welcome.help_text()
    turn.say(update.effective_chat.id, reply)  # type: ignore[union-attr]


async def offer_languages(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show every language as a button, each in its own name."""
    current_turn().say(update.effective_chat.id, welcome.choose_language())  # type: ignore[union-attr]


async def choose_language(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the chosen language, confirm in it, and show the command menu in it."""
    turn, query = current_turn(), update.callback_query
    assert query is not None and query.message is not None
    chat_id = query.message.chat.id
    locale = welcome.chosen_language(query.data or "")
    if locale is None or turn.resident is None:
        await press_unknown_button(update, _context)
        return
    turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
    # Greeted in English and Swedish only, they have not read what Nära is yet.
    greeted_to_choose = not (turn.resident.locale_chosen or is_ours(query.from_user.language_code))
    turn.resident.locale, turn.resident.locale_chosen = locale, True
    current_locale.set(locale)
    # The menu first: by the time the resident reads the confirmation, it speaks their language.
    turn.call(chat_id, "setMyCommands", command_menu(locale, scope=BotCommandScopeChat(chat_id)))
    turn.say(chat_id, welcome.language_changed(locale))
    if greeted_to_choose:
        turn.say(chat_id, _greeting())


async def read_question(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take any free text as a question (an edited one as well, read afresh)."""
    message = update.effective_message
    assert message is not None
    text = casework.words(message)
    turn = current_turn()
    if turn.staff is not None:
        await casework.staff_writes(message)
        return
    if turn.resident is None or not text:
        return
    # Triage before anything else: an urgent message is answered at once, whatever else.
    verdict = triage(text, lexicon=turn.lexicon)
    # A long message is kept as staff cards quote it: what raised the alarm first.
    quoted = casework.quote_for_staff(turn, text, verdict)
    remember_text(turn.resident, quoted, turn.now, level=verdict.level)
    if verdict.urgent and verdict.category is not None:
        await safety_check.note_miss_before(turn)
        await casework.raise_urgent(
            message.chat.id, verdict.category, also=verdict.categories, message=message
        )
        if verdict.category in PRACTICAL_EMERGENCIES:
            # No food, no bed tonight: the support that helps is worth showing too.
            await asking.answer_question(
                message.chat.id, text, language=verdict.language, only_if_found=True
            )
        return
    if await booking.phone_written(message):
        return
    case_id = casework.in_case(turn.resident)
    if case_id is not None and await casework.write_in_case(message, case_id):
        return
    if verdict.level == "ask" and verdict.category is not None:
        # Not sure: the numbers, and one question. A person looks if no answer comes.
        await safety_check.ask_if_safe(message.chat.id, verdict.category)
        return
    # "Stop" to check-ins in their own words, or a few words written to a check-in.
    if await checkins.words_written(message, text):
        return
    if welcome.wordless(text):
        # Only emoji or signs (😢🙏): nothing to search, so ask what is on their mind.
        turn.say(message.chat.id, welcome.without_words())
        return
    await asking.answer_question(message.chat.id, text, language=verdict.language)


async def read_caption(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read the words written with a picture or file, and say only the words were read."""
    message = update.effective_message
    assert message is not None
    await read_question(update, context)
    current_turn().say(message.chat.id, welcome.cannot_read(_unreadable(message), words_read=True))


async def ask_for_person(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand the resident to a person at normal priority (/person)."""
    turn = current_turn()
    if turn.resident is None:
        return
    await casework.ask_for_person(update.effective_chat.id, None)  # type: ignore[union-attr]


async def offer_to_forget(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what /forget deletes and what must stay, and ask once."""
    turn = current_turn()
    if turn.resident is None:
        await answer_unknown_command(update, _context)
        return
    calls = await booking.coming_calls(turn)
    turn.say(update.effective_chat.id, forget.ask(has_calls=bool(calls)))  # type: ignore[union-attr]


async def forget_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete what the chat saved about the resident, or keep it, as they pressed."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    delete = forget.answer(query.data or "")
    if delete is None or turn.resident is None or query.message is None:
        await press_unknown_button(update, context)
        return
    chat_id = query.message.chat.id
    turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
    if not delete:
        turn.say(chat_id, forget.kept())
        return
    chose_language = turn.resident.locale_chosen
    # Booked calls are the bot's own data: cancelled (the staff are told) and deleted.
    calls_cancelled = await booking.forget_bookings(turn, turn.resident)
    await checkin_storage.forget(turn.session, turn.resident.id)
    gone = await queries.forget_resident(turn.session, turn.resident)
    if gone:
        turn.resident = None
        if chose_language:
            # The menu in the chosen language goes too; Telegram's language applies again.
            scope = BotCommandScopeChat(chat_id).to_dict()
            turn.call(chat_id, "deleteMyCommands", {"scope": scope})
        if turn.known_residents is not None:
            turn.known_residents.pop(query.from_user.id, None)
    log.info("a resident's chat data was deleted on request (case kept: %s)", not gone)
    turn.say(chat_id, forget.done(case_kept=not gone, calls_cancelled=calls_cancelled > 0))


async def staff_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Run a staff command for staff; to anyone else it is an unknown command."""
    turn = current_turn()
    if turn.staff is None:
        if update.effective_chat is not None and update.effective_chat.type == "private":
            await answer_unknown_command(update, context)
        return
    command = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0]  # type: ignore[union-attr]
    if command == "cases":
        await casework.list_cases(update, context)
    elif command == "invite":
        await contact.make_invite(update, context)
    elif command == "handover":
        await contact.start_handover(update, context)
    else:
        await casework.close_own_case(update, context)


async def staff_reply_in_group(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Relay a staff member's reply to a case message in the staff group."""
    message = update.effective_message
    if message is None or current_turn().staff is None:
        return
    await casework.staff_writes(message)


async def staff_talk_in_group(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Leave staff talk in the group (no relay); hint how to answer right after a claim."""
    message = update.effective_message
    if message is None or current_turn().staff is None:
        return
    await casework.staff_talk(message)


async def answer_unknown_command(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say we do not know that command and point to /help."""
    current_turn().say(update.effective_chat.id, welcome.unknown_command())  # type: ignore[union-attr]


async def answer_unreadable(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer stickers, pictures, voice and the like kindly, and ask for words."""
    message = update.effective_message
    assert message is not None
    current_turn().say(message.chat.id, welcome.cannot_read(_unreadable(message)))


def _unreadable(message: Message) -> welcome.Unreadable:
    if message.voice or message.audio or message.video_note:
        return welcome.Unreadable.VOICE
    if message.photo or message.video or message.animation:
        return welcome.Unreadable.PICTURE
    if message.document:
        return welcome.Unreadable.FILE
    if message.location or message.venue:
        return welcome.Unreadable.LOCATION
    if message.contact:
        return welcome.Unreadable.CONTACT
    return welcome.Unreadable.OTHER


async def press_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button of a card or menu; an old or forged one gets a kind note."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    press = ask.read_press(query.data or "", turn.services)
    if press is not None and press.action in (ask.PERSON, ask.BOOK) and turn.resident is not None:
        chat_id = query.message.chat.id if query.message else query.from_user.id
        turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
        service = turn.services.get(press.subject or "") if press.action == ask.BOOK else None
        if press.action == ask.BOOK:
            await booking.start_booking(chat_id, service)
        else:
            await casework.ask_for_person(chat_id, service)
        return
    if not await asking.press_ask_button(update, context):
        await press_unknown_button(update, context)


async def press_unknown_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer an old or forged button: it does nothing, and we say so."""
    query = update.callback_query
    assert query is not None
    chat_id = query.message.chat.id if query.message else query.from_user.id
    current_turn().call(
        chat_id,
        "answerCallbackQuery",
        {"callback_query_id": query.id, "text": plain(welcome.unknown_button())},
    )


async def notice_blocking(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remember when a resident blocks or unblocks the bot, so we stop or resume writing."""
    turn, change = current_turn(), update.my_chat_member
    if change is None or turn.resident is None:
        return
    status = change.new_chat_member.status
    turn.resident.blocked_at = turn.now if status in ("kicked", "left") else None


async def record_failure(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark the update as failed; the pipeline rolls it back and apologises to the resident."""
    error = context.error
    turn = current_turn()
    turn.failure = error
    if error is not None:
        # Only where it failed, never the message: exception texts can quote what residents wrote.
        where = traceback.extract_tb(error.__traceback__)
        frames = "; ".join(
            f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" for frame in where[-4:]
        )
        log.error(
            "handler failed on update %s: %s at %s", turn.update_id, type(error).__name__, frames
        )


def command_menu(
    locale: str, *, scope: BotCommandScope | None = None, for_language: bool = True
) -> dict[str, object]:
    """Return ``setMyCommands`` parameters listing our commands in ``locale``.

    With a ``scope`` (one chat) or ``for_language=False`` (everyone without a menu in
    their language), the menu applies regardless of the person's app language.
    """
    params: dict[str, object] = {
        "commands": [
            {"command": name, "description": plain(Text.of(description), locale)}
            for name, description in welcome.COMMANDS
        ]
    }
    if scope is not None:
        params["scope"] = scope.to_dict()
    elif for_language:
        params["language_code"] = telegram_language_code(locale)
    return params


def wire(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Attach every handler in the order Telegram updates should meet them."""
    application.add_handler(TypeHandler(Update, identify), group=-1)
    if settings.staff_chat_id is not None:
        staff_group = filters.Chat(settings.staff_chat_id)
        application.add_handler(
            MessageHandler(
                staff_group & filters.REPLY & filters.TEXT & ~filters.COMMAND, staff_reply_in_group
            )
        )
        application.add_handler(
            MessageHandler(
                staff_group
                & filters.TEXT
                & ~filters.REPLY
                & ~filters.COMMAND
                & ~filters.UpdateType.EDITED,
                staff_talk_in_group,
            )
        )
        application.add_handler(CommandHandler(["cases", "close"], staff_only, filters=staff_group))
    application.add_handlers(
        [
            CallbackQueryHandler(casework.press_case_button, pattern=f"^{urgent.CASE_BUTTON}:"),
            CommandHandler("start", start, filters=PRIVATE),
            CommandHandler("help", show_help, filters=PRIVATE),
            CommandHandler("language", offer_languages, filters=PRIVATE),
            CommandHandler("services", asking.show_topics, filters=PRIVATE),
            CommandHandler("person", ask_for_person, filters=PRIVATE),
            CommandHandler("contact", contact.show_contact, filters=PRIVATE),
            CommandHandler("forget", offer_to_forget, filters=PRIVATE),
            CommandHandler("book", booking.book_command, filters=PRIVATE),
            CommandHandler("bookings", booking.list_bookings, filters=PRIVATE),
            CommandHandler("checkins", checkins.checkins_command, filters=PRIVATE),
            CommandHandler(["cases", "close", "invite", "handover"], staff_only, filters=PRIVATE),
            # A staff member's own hours for booked calls; to residents an unknown command.
            CommandHandler("hours", staff_hours.hours_command, filters=PRIVATE),
            CallbackQueryHandler(staff_hours.press_hours_button, pattern=f"^{HOURS_BUTTON}:"),
            CallbackQueryHandler(choose_language, pattern=f"^{welcome.LANGUAGE_BUTTON_PREFIX}"),
            CallbackQueryHandler(forget_pressed, pattern=f"^{forget.FORGET_BUTTON}:"),
            CallbackQueryHandler(booking.press_booking_button, pattern=f"^{BOOK_BUTTON}:"),
            CallbackQueryHandler(checkins.press_checkin_button, pattern=f"^{CHECKIN_BUTTON}:"),
            CallbackQueryHandler(contact.press_contact_button, pattern=f"^{CONTACT_BUTTON}:"),
            CallbackQueryHandler(
                safety_check.answer_pressed, pattern=f"^{safety_flow.SAFE_BUTTON}:"
            ),
            MessageHandler(PRIVATE & filters.COMMAND, answer_unknown_command),
            # Edited texts too: an edit can be what says it is urgent, or correct a reply.
            MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, read_question),
            # Words written with a picture or file are read like any text.
            MessageHandler(PRIVATE & filters.CAPTION, read_caption),
            MessageHandler(
                PRIVATE & ~filters.TEXT & ~filters.UpdateType.EDITED & ~filters.StatusUpdate.ALL,
                answer_unreadable,
            ),
            CallbackQueryHandler(press_button),
            ChatMemberHandler(notice_blocking, ChatMemberHandler.MY_CHAT_MEMBER),
        ]
    )
    application.add_error_handler(record_failure)
