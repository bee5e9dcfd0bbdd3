"""The "ask" level in Telegram: ask whether the resident is safe, act on the answer.

The flow's texts and decisions are in :mod:`flows.safety_check`. Here: the question is
sent and a timer set in the database (it survives restarts); a pressed answer opens an
urgent case, a case at normal priority, or answers what they wrote; the timer opens a
case at normal priority when no answer came. Each answer, each unanswered question and
each urgent message right after a calm reply is kept as triage feedback.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from telegram import Update
from telegram.ext import ContextTypes

from bot.cases import asking, casework
from bot.core.i18n import plain
from bot.core.turn import Turn, current_turn
from flows import safety_check, urgent
from flows.privacy import scrub
from flows.replies import Text
from storage import casework as case_queries
from storage import triage_feedback
from storage.casework import recent_texts
from storage.models import Resident, Timer

QUESTION_TIMER: Final = "safety-question"


def _escalation(turn: Turn) -> timedelta:
    return timedelta(minutes=turn.settings.escalation_minutes)


def _last_text(turn: Turn, resident: Resident) -> str | None:
    texts = recent_texts(resident, turn.now)
    return texts[-1] if texts else None


async def ask_if_safe(chat_id: int, category: str) -> None:
    """Send the numbers and "Are you safe right now?", and wait for an answer in the database."""
    turn = current_turn()
    resident = turn.resident
    assert resident is not None
    resident.step, resident.step_data = safety_check.ASKED, {"category": category}
    # One question at a time: a newer one replaces the older one's timer.
    await case_queries.cancel_resident_timers(
        turn.session, resident.id, turn.now, kind=QUESTION_TIMER
    )
    await case_queries.schedule(
        turn.session,
        kind=QUESTION_TIMER,
        case_id=None,
        resident_id=resident.id,
        due_at=turn.now + _escalation(turn),
    )
    turn.say(chat_id, safety_check.question(category, turn.numbers.numbers_for(category)))


async def answer_pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Act on "I am in danger now", "I need help, but not right now" or "I am OK"."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    answer = safety_check.read_answer(query.data or "")
    chat_id = query.message.chat.id if query.message else query.from_user.id
    resident = turn.resident
    if answer is None or resident is None:
        turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
        return
    turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
    if query.message is not None:
        # Answered: the buttons go, so the same answer is not sent twice by a second tap.
        turn.call(
            chat_id,
            "editMessageReplyMarkup",
            {"chat_id": chat_id, "message_id": query.message.message_id,
             "reply_markup": {"inline_keyboard": []}},
        )
    waiting = resident.step == safety_check.ASKED
    said = _last_text(turn, resident)
    if waiting:
        resident.step, resident.step_data = "", {}
        await case_queries.cancel_resident_timers(
            turn.session, resident.id, turn.now, kind=QUESTION_TIMER
        )
        await triage_feedback.record(
            turn.session,
            kind="asked",
            source="resident",
            answer=answer.answer,
            language=resident.locale,
            level="ask",
            category=answer.category,
            text=scrub(said) if said else None,
            now=turn.now,
        )
    if answer.answer == safety_check.DANGER:
        label = plain(Text.of(safety_check.IN_DANGER), turn.settings.staff_locale)
        pressed = (query.from_user.first_name, f"⚠️ {label}")
        await casework.raise_urgent(chat_id, answer.category, pressed=pressed)
    elif answer.answer == safety_check.LATER:
        heading = safety_check.staff_heading(answer.category, safety_check.LATER, 0)
        await casework.open_maybe_urgent(chat_id, answer.category, heading)
        await casework.ask_for_person(chat_id, None)
    else:
        turn.say(chat_id, safety_check.glad_you_are_ok())
        if waiting and said:
            await asking.answer_question(chat_id, said, language=resident.locale,
                                         only_if_found=True)


async def question_unanswered(turn: Turn, timer: Timer) -> None:
    """No answer came in time: open a case at normal priority so a person looks."""
    if timer.resident_id is None or timer.kind != QUESTION_TIMER:
        return
    resident = await turn.session.get(Resident, timer.resident_id)
    if resident is None or resident.step != safety_check.ASKED:
        return
    category = str(resident.step_data.get("category", ""))
    if category not in urgent.CATEGORY_NAMES:
        return
    turn.resident = resident
    said = _last_text(turn, resident)
    minutes = max(1, round(turn.settings.escalation_minutes))
    heading = safety_check.staff_heading(category, "none", minutes)
    opened = await casework.open_maybe_urgent(resident.chat_id, category, heading)
    await triage_feedback.record(
        turn.session,
        kind="asked",
        source="timer",
        answer="none",
        language=resident.locale,
        level="ask",
        category=category,
        text=scrub(said) if said else None,
        now=turn.now,
    )
    if opened and resident.blocked_at is None:
        turn.say(resident.chat_id, safety_check.person_will_look(), locale=resident.locale)


async def note_miss_before(turn: Turn) -> None:
    """An urgent message right after a calm reply: keep the calm one as a miss of triage."""
    resident = turn.resident
    if resident is None:
        return
    before = safety_check.was_calm_just_before(resident.recent_texts, turn.now)
    if before is None:
        return
    await triage_feedback.record(
        turn.session,
        kind="missed",
        source="resident",
        language=resident.locale,
        level="calm",
        category=None,
        text=scrub(before),
        now=turn.now,
    )
