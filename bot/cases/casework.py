"""Urgent cases and handoff to staff: safety replies, notifications, Claim/Close, relaying.

A case is opened by triage (urgent) or by the resident ("Talk to a person", "Book a
call"). The staff group gets a notification with Claim and Close; the staff member
who claims it answers by replying to a case message (in the group or in their private
chat with the bot), and the resident's messages reach them, until Close. Timers in the
database escalate unclaimed urgent cases. Every staff action checks the staff role in
the database, every time, and is audited.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from telegram import BotCommandScopeChat, CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot.core.i18n import clock, plain, when
from bot.core.render import PARAGRAPH_BREAK, send_message_params
from bot.core.turn import Turn, current_turn
from flows import checkins as checkin_flow
from flows import safety_check, urgent
from flows.catalogue import Service
from flows.helplines import Helpline
from flows.privacy import scrub
from flows.replies import Reply, Text
from flows.triage.classify import Triage, triage
from storage import casework, triage_feedback
from storage.casework import CaseKind, ClaimOutcome
from storage.models import Case, CasePost, Resident, StaffMember, Timer

log = logging.getLogger(__name__)

IN_CASE: Final = "case"
ESCALATE, REMIND, ESCALATE_AGAIN = "escalate", "remind", "escalate-again"
AFTER_HOURS_LINE: Final = "socialjouren"
MEDICAL: Final = "medical"
# A staff member who writes in the group this soon after claiming, without replying to
# the case, may think the resident reads it: they get a hint, once.
HINT_WINDOW: Final = timedelta(minutes=10)
HINTED: Final = "hinted"


# --- shared pieces ----------------------------------------------------------------------


def _staff_chats(turn: Turn) -> list[int]:
    return [turn.settings.staff_chat_id] if turn.settings.staff_chat_id is not None else []


def _after_hours(turn: Turn) -> Helpline | None:
    return turn.numbers.by_id.get(AFTER_HOURS_LINE)


def _next_opening(turn: Turn) -> str:
    local = turn.now.astimezone(turn.settings.zone)
    opening = turn.settings.hours.next_opening(local)
    return when(opening) if opening.date() != local.date() else clock(opening)


def _view(
    turn: Turn, case: Case, service: Service | None = None, heading: Text | None = None
) -> urgent.CaseView:
    opened = case.opened_at.astimezone(turn.settings.zone)
    return urgent.CaseView(
        number=case.id,
        kind=case.kind,
        category=case.category,
        language=case.language,
        opened=when(opened, turn.settings.staff_locale),
        # Measured as sent (HTML-escaped), so the card stays one Telegram message.
        excerpt=urgent.fit_quotes(case.excerpt or (), measure=_html_length),
        service=Text.written(service.title) if service is not None else None,
        heading=heading,
    )


def _notify_staff(
    turn: Turn,
    case: Case,
    *,
    service: Service | None = None,
    escalated_after: int | None = None,
    extra_chats: tuple[int, ...] = (),
    heading: Text | None = None,
    to: Sequence[int] | None = None,
) -> bool:
    """Post a case to the staff group (and extra chats); return False when there is nowhere.

    ``to``: the chats that get the card instead of the staff group (people's private
    chats); one that Telegram refuses (never opened) sends it to the staff group.
    """
    chats = [*(_staff_chats(turn) if to is None else to), *extra_chats]
    view = _view(turn, case, service, heading)
    reply = urgent.staff_notification(view, escalated_after=escalated_after)
    # The card's first line is kept with its message: a Claim or Close redraws the card.
    card = {"kind": "card", "head": _text_json(urgent.card_head(view))}
    group = turn.settings.staff_chat_id
    # A private chat Telegram refuses falls back to the group, unless the group has it anyway.
    fallback = {"fallback_chat": group} if to is not None and group not in (None, *chats) else {}
    for chat_id in chats:
        turn.say(
            chat_id,
            reply,
            locale=turn.settings.staff_locale,
            purpose={"case_post": case.id, "card": card, **fallback},
        )
    if not chats:
        log.error("case %s cannot reach staff: NARA_STAFF_CHAT_ID is not set", case.id)
    return bool(chats)


def _html_length(text: str) -> int:
    return len(html.escape(text, quote=False))


def _text_json(text: Text) -> dict[str, Any]:
    """A flow text as JSON, to draw it again later (in whatever the staff locale is then)."""
    return {
        "msgid": text.msgid,
        "params": {
            key: value if isinstance(value, str) else _text_json(value)
            for key, value in text.params.items()
        },
        "literal": text.literal,
        "versions": dict(text.versions) if text.versions is not None else None,
        "bold": text.bold,
    }


def _text_from_json(data: Mapping[str, Any]) -> Text:
    params = {
        str(key): value if isinstance(value, str) else _text_from_json(value)
        for key, value in dict(data.get("params") or {}).items()
    }
    return Text(
        str(data.get("msgid", "")),
        params,
        literal=bool(data.get("literal")),
        versions=data.get("versions"),
        bold=bool(data.get("bold")),
    )


def quote_for_staff(turn: Turn, text: str, verdict: Triage) -> str:
    """What staff cards quote of a message: whole, or (when long) what raised the alarm first.

    Each sentence is triaged alone, in the message's language, to find the ones that
    raised the alarm; a calm message is quoted from its start.
    """
    if len(text) <= urgent.EXCERPT_LENGTH or not verdict.caught:
        return urgent.quote_for_staff(text, lambda _sentence: False)

    def raised_alarm(sentence: str) -> bool:
        return triage(sentence, locale=verdict.language, lexicon=turn.lexicon).caught

    hints = [evidence.words for evidence in verdict.evidence]
    return urgent.quote_for_staff(text, raised_alarm, hints=hints)


def staff_menu(locale: str, chat_id: int, *, group: bool = False) -> dict[str, object]:
    """Return ``setMyCommands`` parameters for the staff menu in one chat (theirs, or the group)."""
    return {
        "commands": [
            {"command": name, "description": plain(Text.of(description), locale)}
            for name, description in urgent.STAFF_COMMANDS
            if not group or name in urgent.STAFF_GROUP_COMMANDS
        ],
        "scope": BotCommandScopeChat(chat_id).to_dict(),
    }


def _enter_case(resident: Resident, case: Case) -> None:
    resident.step, resident.step_data = IN_CASE, {"case": case.id}


def _leave_case(resident: Resident) -> None:
    resident.step, resident.step_data = "", {}


async def _open_case(
    turn: Turn, resident: Resident, kind: CaseKind, category: str | None
) -> tuple[Case, bool]:
    """Open (or join) the resident's case, with what they just wrote for the staff."""
    case, new = await casework.open_case(
        turn.session,
        resident_id=resident.id,
        kind=kind,
        category=category,
        language=resident.locale,
        excerpt=casework.recent_texts(resident, turn.now),
        now=turn.now,
    )
    _enter_case(resident, case)
    return case, new


def _office_open(turn: Turn) -> bool:
    return turn.settings.hours.is_open(turn.now.astimezone(turn.settings.zone))


def in_case(resident: Resident | None) -> int | None:
    """Return the case a resident's conversation is in, if any."""
    if resident is not None and resident.step == IN_CASE:
        number = resident.step_data.get("case")
        return int(number) if isinstance(number, int) else None
    return None


# --- residents ----------------------------------------------------------------------------


async def raise_urgent(
    chat_id: int,
    category: str,
    *,
    also: Sequence[str] = (),
    message: Message | None = None,
    pressed: tuple[str, str] | None = None,
) -> None:
    """Answer at once with the safety reply, open (or raise) a case and alert the staff.

    ``also``: other categories the message raised; a medical emergency among them puts
    "call 112 now" first, and its numbers join the category's. ``message``: what the
    resident wrote, relayed to the staff member who already holds their case; without
    one, ``pressed`` (the resident's first name and the button's words) is relayed.
    """
    turn = current_turn()
    resident = turn.resident
    assert resident is not None
    before = await casework.active_case(turn.session, resident.id)
    was_urgent = before is not None and before.kind == "urgent"
    case, _new = await _open_case(turn, resident, "urgent", category)
    reachable = bool(_staff_chats(turn)) or bool(turn.settings.on_call)
    open_now = _office_open(turn)
    emergency_now = category != MEDICAL and MEDICAL in also
    numbers = turn.numbers.numbers_for(category)
    if emergency_now:
        numbers = (*numbers, *(n for n in turn.numbers.numbers_for(MEDICAL) if n not in numbers))
    on_call = _after_hours(turn)
    turn.say(
        chat_id,
        urgent.safety_reply(
            category,
            numbers,
            person_told=reachable,
            office_open=open_now,
            # Named once: when the on-call line is among the numbers already, not again.
            after_hours=None if on_call in numbers else on_call,
            emergency_now=emergency_now,
        ),
    )
    if case.status == "claimed" and case.claimed_by is not None:
        note = urgent.from_resident(case.id, *pressed) if pressed is not None else None
        await _relay_to_holder(turn, case, message, note)
        return
    _notify_staff(turn, case, extra_chats=turn.settings.on_call if not _staff_chats(turn) else ())
    if not was_urgent:
        await casework.schedule(
            turn.session, kind=ESCALATE, case_id=case.id, due_at=turn.now + _escalation(turn)
        )


def urgent_without_a_case(turn: Turn, message: Message, category: str, locale: str) -> None:
    """Handling an urgent message failed: still give the numbers, and still tell the staff.

    Nothing of the failed work was kept (it was rolled back), so no person was told: the
    reply says plainly to call, and the staff hear that a case could not be opened.
    """
    numbers = turn.numbers.numbers_for(category)
    turn.say(
        message.chat.id, urgent.safety_reply(category, numbers, person_told=False), locale=locale
    )
    alert = urgent.unhandled_urgent(category, _first_name(message), words(message))
    for chat_id in _staff_chats(turn) or list(turn.settings.on_call):
        turn.say(chat_id, alert, locale=turn.settings.staff_locale)


def _escalation(turn: Turn) -> timedelta:
    return timedelta(minutes=turn.settings.escalation_minutes)


async def open_maybe_urgent(
    chat_id: int, category: str | None, heading: Text, *, to: Sequence[int] | None = None
) -> bool:
    """Open a case at normal priority that the question "are you safe?" led to.

    The staff card says why (``heading``); the triage category goes with the case.
    ``to``: the staff chats that get the card instead of the staff group (a request for
    another contact person goes to the supervisors). Returns whether a new case was
    opened (False: the resident already had one).
    """
    turn = current_turn()
    resident = turn.resident
    assert resident is not None
    case, new = await _open_case(turn, resident, "person", category)
    if new:
        _notify_staff(turn, case, heading=heading, to=to)
    return new


async def ask_for_person(chat_id: int, service: Service | None) -> None:
    """Open a case at normal priority ("Talk to a person", "Book a call") and say when."""
    turn = current_turn()
    resident = turn.resident
    assert resident is not None
    case, new = await _open_case(turn, resident, "person", None)
    open_now = _office_open(turn)
    if service is not None:
        reply = urgent.call_asked(
            Text.written(service.title), open_now=open_now, next_opening=_next_opening(turn)
        )
    else:
        reply = urgent.person_asked(
            open_now=open_now, next_opening=_next_opening(turn), after_hours=_after_hours(turn)
        )
    turn.say(chat_id, reply)
    if new or service is not None:
        _notify_staff(turn, case, service=service)


async def write_in_case(message: Message, case_id: int) -> bool:
    """Bring a resident's message to their case's staff; return False if the case ended."""
    turn = current_turn()
    case = await casework.get_case(turn.session, case_id)
    if case is None or case.status == "closed":
        if turn.resident is not None:
            _leave_case(turn.resident)
        return False
    if case.status == "claimed":
        await _relay_to_holder(turn, case, message, None)
    else:
        for chat_id in _staff_chats(turn):
            turn.say(
                chat_id,
                _resident_words(case, message),
                locale=turn.settings.staff_locale,
                purpose={"case_post": case.id},
            )
        turn.say(message.chat.id, urgent.added_to_case())
    return True


def words(message: Message) -> str:
    """What a message says in words: its text, or the caption of a picture or file."""
    return message.text or message.caption or ""


def _resident_words(case: Case, message: Message) -> Reply:
    return urgent.from_resident(
        case.id, _first_name(message), words(message), corrected=message.edit_date is not None
    )


def _first_name(message: Message) -> str:
    return message.from_user.first_name if message.from_user else "?"


async def _relay_to_holder(
    turn: Turn, case: Case, message: Message | None, note: Reply | None
) -> None:
    holder = await turn.session.get(StaffMember, case.claimed_by)
    relayed = _resident_words(case, message) if message is not None else note
    if holder is None or relayed is None:
        return
    fallback = turn.settings.staff_chat_id
    turn.say(
        holder.telegram_user_id,
        relayed,
        locale=turn.settings.staff_locale,
        purpose={"case_post": case.id, **({"fallback_chat": fallback} if fallback else {})},
    )


# --- staff ----------------------------------------------------------------------------------


async def press_case_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Claim or Close: staff only, checked in the database on every press, and audited."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    action = urgent.read_case_button(query.data or "")
    chat_id = query.message.chat.id if query.message else query.from_user.id
    staff = turn.staff
    if action is None or staff is None:
        # Someone who is not staff (or forged data): nothing happens, and it is noted.
        turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
        await casework.audit(
            turn.session, staff_id=None, action="forbidden", case_id=None, now=turn.now
        )
        log.warning("a Claim/Close press was refused: not staff or not a case button")
        return
    staff_locale = turn.settings.staff_locale
    if action.action in (urgent.MARK_NOT_URGENT, urgent.MARK_URGENT):
        await _mark(turn, action, staff, chat_id=chat_id, query_id=query.id)
        return
    if action.action == urgent.CLAIM:
        await _claim(turn, action.case_number, staff, query, chat_id=chat_id)
        return
    if action.action == urgent.CLOSE_ANYWAY:
        if query.message is not None:
            # Answered: the question's button goes, so it is not pressed twice.
            turn.call(
                chat_id,
                "editMessageReplyMarkup",
                {
                    "chat_id": chat_id,
                    "message_id": query.message.message_id,
                    "reply_markup": {"inline_keyboard": []},
                },
            )
    else:
        case = await casework.get_case(turn.session, action.case_number)
        if case is not None and case.status == "claimed" and case.claimed_by != staff.id:
            # Someone else holds it: closing it ends their conversation, so ask first.
            owner = await turn.session.get(StaffMember, case.claimed_by)
            turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
            turn.say(
                chat_id,
                urgent.close_anyway(case.id, owner.name if owner is not None else "?"),
                locale=staff_locale,
                reply_to=query.message.message_id if query.message is not None else None,
            )
            return
    await _close(turn, action.case_number, staff, chat_id=chat_id, query=query)


async def _claim(
    turn: Turn, case_id: int, staff: StaffMember, query: CallbackQuery, *, chat_id: int
) -> None:
    """Claim a case: the cards say who has it, the claimer hears how to answer, the resident who."""
    staff_locale = turn.settings.staff_locale
    claim = await casework.claim_case(turn.session, case_id, staff.id, turn.now)
    answer: dict[str, object] = {"callback_query_id": query.id}
    if claim.outcome == ClaimOutcome.TAKEN:
        text = urgent.already_claimed(case_id, claim.holder_name or "?")
        answer |= {"text": plain(text, staff_locale), "show_alert": True}
    elif claim.outcome in (ClaimOutcome.CLOSED, ClaimOutcome.UNKNOWN):
        answer["text"] = plain(urgent.not_claimable(case_id), staff_locale)
    turn.call(chat_id, "answerCallbackQuery", answer)
    if claim.case is None:
        return
    if claim.outcome == ClaimOutcome.CLAIMED:
        await _tell_claimed(turn, claim.case, staff)
    else:
        # The pressed card still offered Claim: an escalated copy sent while the case was
        # being claimed, say. It is put right.
        await _heal(turn, claim.case, query)


def _at(turn: Turn, moment: datetime) -> str:
    return clock(moment.astimezone(turn.settings.zone), turn.settings.staff_locale)


def _edit_card(turn: Turn, post: CasePost, reply: Reply) -> None:
    # Drawn as a new message would be; a card is one message (its quotes are fitted to it).
    sent = send_message_params(reply, post.chat_id, turn.settings.staff_locale)
    params = {
        **sent[-1],
        "message_id": post.message_id,
        "text": PARAGRAPH_BREAK.join(part["text"] for part in sent),
        # An empty keyboard removes the old buttons.
        "reply_markup": sent[-1].get("reply_markup") or {"inline_keyboard": []},
    }
    turn.call(post.chat_id, "editMessageText", params)


async def _settle_cards(
    turn: Turn,
    case: Case,
    status: Text,
    *,
    closed: bool,
    posts: Sequence[CasePost] | None = None,
) -> None:
    """Edit the case's cards (or only ``posts``): the status line, and the buttons left."""
    if posts is None:
        posts = await casework.card_posts(turn.session, case.id)
    if not posts:
        return
    buttons = urgent.buttons_left(
        case.id,
        urgent=case.kind == "urgent",
        closed=closed,
        marked=await casework.was_marked(turn.session, case.id),
    )
    view = _view(turn, case)
    for post in posts:
        card = post.card or {}
        head = card.get("head") if card.get("kind") == "card" else None
        head_text = _text_from_json(head) if isinstance(head, dict) else None
        _edit_card(turn, post, urgent.settled_card(view, head_text, status, buttons))


async def _heal(turn: Turn, case: Case, query: CallbackQuery) -> None:
    """Redraw the one card a button was pressed on, if it no longer tells the case as it is."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    shown = {button.callback_data for row in message.reply_markup.inline_keyboard for button in row}
    # Claim on a case someone has, or Close on a closed one: the card is behind.
    stale = [f"{urgent.CASE_BUTTON}:{urgent.CLAIM}:{case.id}"]
    if case.status == "closed":
        stale.append(f"{urgent.CASE_BUTTON}:{urgent.CLOSE}:{case.id}")
    if shown.isdisjoint(stale):
        return
    post = await casework.post_at(turn.session, message.chat.id, message.message_id)
    kind = (post.card or {}).get("kind") if post is not None else None
    if post is None or post.case_id != case.id or kind not in casework.CARD_KINDS:
        return
    if case.status == "claimed" and case.claimed_by is not None and case.claimed_at is not None:
        holder = await turn.session.get(StaffMember, case.claimed_by)
        status = urgent.claimed_status(holder.name if holder else "?", _at(turn, case.claimed_at))
    elif case.status == "closed" and case.closed_at is not None:
        closer = await turn.session.get(StaffMember, case.closed_by) if case.closed_by else None
        status = urgent.closed_status(closer.name if closer else "?", _at(turn, case.closed_at))
    else:
        return
    await _settle_cards(turn, case, status, closed=case.status == "closed", posts=[post])


async def _mark(
    turn: Turn, action: urgent.CaseAction, staff: StaffMember, *, chat_id: int, query_id: str
) -> None:
    """Keep a staff member's word on triage: this case was not urgent, or it was."""
    locale = turn.settings.staff_locale
    case = await casework.get_case(turn.session, action.case_number)
    if case is None:
        text = urgent.not_claimable(action.case_number)
    elif await casework.was_marked(turn.session, case.id):
        text = safety_check.already_marked()
    else:
        await casework.audit(
            turn.session, staff_id=staff.id, action=f"mark-{action.action}", case_id=case.id,
            now=turn.now,
        )
        said = case.excerpt[-1] if case.excerpt else None
        await triage_feedback.record(
            turn.session,
            kind="false-alarm" if action.action == urgent.MARK_NOT_URGENT else "missed",
            source="staff",
            language=case.language,
            # A case at normal priority with a category came from the question "are you safe?".
            level="urgent" if case.kind == "urgent" else ("ask" if case.category else "calm"),
            category=case.category,
            text=scrub(said) if said else None,
            now=turn.now,
        )
        text = safety_check.marked(action.action)
    turn.call(
        chat_id, "answerCallbackQuery", {"callback_query_id": query_id, "text": plain(text, locale)}
    )


async def _tell_claimed(turn: Turn, case: Case, staff: StaffMember) -> None:
    await _settle_cards(
        turn, case, urgent.claimed_status(staff.name, _at(turn, turn.now)), closed=False
    )
    # Privately, once: how replies reach the resident. A reply to this message does too.
    turn.say(
        staff.telegram_user_id,
        urgent.you_have_the_case(case.id),
        locale=turn.settings.staff_locale,
        purpose={"case_post": case.id},
    )
    resident = await turn.session.get(Resident, case.resident_id)
    if resident is not None and resident.blocked_at is None:
        turn.say(resident.chat_id, urgent.claimed_for_resident(staff.name), locale=resident.locale)


async def _close(
    turn: Turn,
    case_id: int,
    staff: StaffMember,
    *,
    chat_id: int,
    query: CallbackQuery | None,
) -> None:
    """Close a case: the cards say who closed it, the resident hears of the person they had."""
    staff_locale = turn.settings.staff_locale
    case = await casework.get_case(turn.session, case_id)
    closed = await casework.close_case(turn.session, case_id, staff.id, turn.now)
    if query is not None:
        params: dict[str, object] = {"callback_query_id": query.id}
        if not closed:
            params["text"] = plain(urgent.not_claimable(case_id), staff_locale)
        turn.call(chat_id, "answerCallbackQuery", params)
    if not closed or case is None:
        if query is None:
            turn.say(chat_id, urgent.cases_list([]), locale=staff_locale)
        elif case is not None:
            await _heal(turn, case, query)
        return
    # ``case`` was read before the close: it still has what the resident wrote, for the card.
    owner = await turn.session.get(StaffMember, case.claimed_by) if case.claimed_by else None
    await _settle_cards(
        turn, case, urgent.closed_status(staff.name, _at(turn, turn.now)), closed=True
    )
    if query is None:
        turn.say(chat_id, urgent.closed_for_staff(case_id, staff.name), locale=staff_locale)
    resident = await turn.session.get(Resident, case.resident_id)
    if resident is not None and resident.blocked_at is None:
        # A good moment to offer follow-up check-ins: to the one who closed it, privately.
        turn.say(
            staff.telegram_user_id,
            checkin_flow.choose_plan(case_id, turn.settings.checkin_plans()),
            locale=staff_locale,
            purpose=(
                {"fallback_chat": turn.settings.staff_chat_id}
                if turn.settings.staff_chat_id is not None
                else None
            ),
        )
    if resident is not None:
        if in_case(resident) == case_id:
            _leave_case(resident)
        if resident.blocked_at is None:
            # The person they talked to, not whoever closed it: they may never have met them.
            turn.say(
                resident.chat_id,
                urgent.case_closed_for_resident(owner.name if owner is not None else None),
                locale=resident.locale,
            )


async def staff_writes(message: Message) -> None:
    """Relay a staff member's words to the resident of the case they answer."""
    turn = current_turn()
    staff = turn.staff
    assert staff is not None
    case: Case | None = None
    if message.reply_to_message is not None:
        case = await casework.case_for_post(
            turn.session, message.chat.id, message.reply_to_message.message_id
        )
    if case is None and message.chat.type == message.chat.PRIVATE:
        held = await casework.claimed_cases_of(turn.session, staff.id)
        case = held[0] if held else None
    if case is None:
        if message.chat.type == message.chat.PRIVATE:
            turn.say(message.chat.id, urgent.no_case_for_staff(), locale=turn.settings.staff_locale)
        return
    if case.status != "claimed" or case.claimed_by != staff.id:
        turn.say(
            message.chat.id,
            urgent.claim_first(case.id),
            locale=turn.settings.staff_locale,
            reply_to=message.message_id,
        )
        return
    resident = await turn.session.get(Resident, case.resident_id)
    if resident is None:
        return
    turn.say(
        resident.chat_id,
        urgent.from_staff(staff.name, words(message), corrected=message.edit_date is not None),
        locale=resident.locale,
    )
    await casework.audit(
        turn.session, staff_id=staff.id, action="reply", case_id=case.id, now=turn.now
    )


async def staff_talk(message: Message) -> None:
    """Leave staff talk in the group; hint once to someone who just claimed how to answer."""
    turn = current_turn()
    staff = turn.staff
    if staff is None:
        return
    held = await casework.claimed_cases_of(turn.session, staff.id)
    case = held[0] if held else None
    if case is None or case.claimed_at is None or turn.now - case.claimed_at > HINT_WINDOW:
        return
    trail = await casework.audit_trail(turn.session, case.id)
    if any(entry.action in ("reply", HINTED) for entry in trail):
        return
    # Noted in the same transaction as the hint, so a second message gets none.
    await casework.audit(
        turn.session, staff_id=staff.id, action=HINTED, case_id=case.id, now=turn.now
    )
    turn.say(
        message.chat.id,
        urgent.reply_hint(case.id),
        locale=turn.settings.staff_locale,
        reply_to=message.message_id,
        purpose={"case_post": case.id},
    )


async def list_cases(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show a staff member the open cases (/cases); audited as read."""
    turn = current_turn()
    chat = update.effective_chat
    assert chat is not None
    if turn.staff is None:
        return
    lines = []
    waiting = await casework.cases_waiting(turn.session)
    held = await casework.claimed_cases_of(turn.session, turn.staff.id)
    for case in [*waiting, *held]:
        view = _view(turn, case)
        label = (
            plain(Text.of(urgent.CATEGORY_NAMES[case.category]), turn.settings.staff_locale)
            if case.category
            else case.kind
        )
        state = "✋" if case.status == "claimed" else "⏳"
        lines.append(f"{state} #{case.id} · {label} · {view.opened}")
        await casework.audit(
            turn.session, staff_id=turn.staff.id, action="read", case_id=case.id, now=turn.now
        )
    turn.say(chat.id, urgent.cases_list(lines), locale=turn.settings.staff_locale)


async def close_own_case(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Close the case a staff member handles most recently (/close in their private chat)."""
    turn = current_turn()
    chat = update.effective_chat
    assert chat is not None
    if turn.staff is None:
        return
    held = await casework.claimed_cases_of(turn.session, turn.staff.id)
    if not held:
        turn.say(chat.id, urgent.no_case_for_staff(), locale=turn.settings.staff_locale)
        return
    await _close(turn, held[0].id, turn.staff, chat_id=chat.id, query=None)


# --- timers ---------------------------------------------------------------------------------


async def run_case_timer(turn: Turn, timer: Timer) -> None:
    """Escalate an unclaimed urgent case whose time has come (one timer of it)."""
    if timer.case_id is None:
        return
    case = await casework.get_case(turn.session, timer.case_id)
    if case is None or case.status != "open":
        return
    waited = int((turn.now - case.opened_at).total_seconds() // 60)
    if timer.kind == ESCALATE and await casework.escalate(turn.session, case.id, 1, turn.now):
        _notify_staff(turn, case, escalated_after=waited, extra_chats=turn.settings.on_call)
        await casework.schedule(
            turn.session, kind=REMIND, case_id=case.id, due_at=turn.now + _escalation(turn)
        )
    elif timer.kind == REMIND and await casework.escalate(turn.session, case.id, 2, turn.now):
        resident = await turn.session.get(Resident, case.resident_id)
        if resident is not None and resident.blocked_at is None:
            turn.say(
                resident.chat_id,
                urgent.reminder_for_resident(_after_hours(turn)),
                locale=resident.locale,
            )
        for chat_id in (*_staff_chats(turn), *turn.settings.on_call):
            turn.say(
                chat_id,
                urgent.reminded_for_staff(case.id, waited),
                locale=turn.settings.staff_locale,
                purpose={"case_post": case.id, "card": {"kind": "reminder"}},
            )
        await casework.schedule(
            turn.session,
            kind=ESCALATE_AGAIN,
            case_id=case.id,
            due_at=turn.now + _escalation(turn),
        )
    elif timer.kind == ESCALATE_AGAIN:
        # Nothing is dropped silently: the staff hear of it until someone claims it.
        _notify_staff(turn, case, escalated_after=waited, extra_chats=turn.settings.on_call)
        await casework.schedule(
            turn.session,
            kind=ESCALATE_AGAIN,
            case_id=case.id,
            due_at=turn.now + _escalation(turn) * 2,
        )
