"""Telegram handlers for questions about support: cards, topics and a service's details."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.i18n import opening_hours
from bot.core.turn import Turn, current_turn
from bot.core.usage import UsageKey
from flows import ask, welcome
from flows.privacy import scrub
from flows.replies import Reply
from flows.search import search
from storage import queries


def _source(turn: Turn) -> str:
    return (turn.resident.source if turn.resident is not None else None) or ""


def count(turn: Turn, kind: str, service_id: str) -> None:
    """Count a search or an opened service for this week, anonymously."""
    if turn.usage is not None:
        turn.usage.add(UsageKey(turn.week, kind, service_id, turn.locale, _source(turn)))


async def answer_question(
    chat_id: int, text: str, *, language: str | None = None, only_if_found: bool = False
) -> None:
    """Search the catalogue and answer with cards, or honestly with other ways on.

    ``language`` is the question's language when triage already detected it. With
    ``only_if_found`` (after a safety reply) nothing is said when nothing fits. A long
    message's cards are followed by an offer of a person (not after a safety reply:
    a person is coming then).
    """
    turn = current_turn()
    result = search(turn.services, text, locale=language)
    if only_if_found and not result.answered:
        return
    count(turn, "search", result.hits[0].service_id if result.answered else "")
    if not result.answered:
        await queries.keep_unanswered(
            turn.session, text=scrub(text), language=result.language, now=turn.now
        )
    long_message = ask.is_long(text) and not only_if_found
    for reply in ask.answer(result, turn.services, long_message=long_message):
        turn.say(chat_id, reply)


async def show_topics(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the life situations menu (/services)."""
    current_turn().say(update.effective_chat.id, ask.topics())  # type: ignore[union-attr]


async def press_ask_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Answer a card or menu button; return False when the data is not ours."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    chat_id = query.message.chat.id if query.message else query.from_user.id
    press = ask.read_press(query.data or "", turn.services)
    if press is None or press.action in (ask.PERSON, ask.BOOK):
        return False
    turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
    reply: Reply
    if press.action == ask.TOPICS:
        reply = ask.topics()
    elif press.action == ask.LANGUAGES:
        reply = welcome.choose_language()
    elif press.action == ask.TOPIC:
        reply = ask.topic(press.subject or "", turn.services)
    else:
        service = turn.services[press.subject or ""]
        count(turn, "open", service.id)
        if press.action == ask.REACH:
            hours = opening_hours(service.contact.hours) if service.contact.hours else None
            reply = ask.reach(service, hours=hours)
        elif press.action == ask.MORE:
            related = [
                turn.services[other] for other in service.related if other in turn.services.ids
            ]
            reply = ask.more(service, related)
        else:
            reply = ask.card(service)
    turn.say(chat_id, reply)
    return True
