"""A resident's own contact person: invite links, /contact, /invite, /handover, leaving staff.

The shell of ``flows/calls/contact.py``: it gathers who is asking (the staff role is read from
the database for every update, see ``bot.app.handlers.identify``), asks
``storage.contacts``, and queues what the flow says. Every message to a resident goes
through the outbox in the same transaction as the change it tells of, also when the
change comes from the command line (``nara staff remove``, ``nara staff handover``):
the running bot's courier delivers it, so no resident misses it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.cases import casework
from bot.core.i18n import plain
from bot.core.render import send_message_params
from bot.core.turn import Turn, current_turn
from flows import welcome
from flows.calls import contact as flow
from flows.replies import Reply
from storage import casework as cases
from storage import contacts, queries
from storage.contacts import INVITE_LIFETIME, SUPERVISING_ROLES, InviteState
from storage.models import Resident, StaffMember

log = logging.getLogger(__name__)

INVITE_DAYS = INVITE_LIFETIME.days


# --- residents ------------------------------------------------------------------------------


async def open_invite(chat_id: int, code: str) -> None:
    """Show the resident who invites them and what it means, or why the link does not work."""
    turn = current_turn()
    resident = turn.resident
    assert resident is not None
    check = await contacts.check_invite(turn.session, code, turn.now)
    staff = check.staff
    # Opened again after saying yes, or a second link from the contact they already have.
    opened_before = check.state == InviteState.USED and check.used_by == resident.id
    current = await contacts.contact_of(turn.session, resident.id)
    turn.say(
        chat_id,
        flow.answer_link(
            check.state,
            name=flow.first_name(staff.name) if staff is not None else None,
            code=code,
            days=INVITE_DAYS,
            already_yours=staff is not None
            and resident.contact_id == staff.id
            and (check.state == InviteState.VALID or opened_before),
            current=flow.first_name(current.name) if current is not None else None,
        ),
    )


async def show_contact(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show who the resident's contact person is, how to reach them, and how they like to talk."""
    turn = current_turn()
    chat = update.effective_chat
    assert chat is not None
    if turn.resident is None:
        turn.say(chat.id, welcome.unknown_command())
        return
    turn.say(chat.id, await _contact_view(turn, turn.resident))


async def _contact_view(turn: Turn, resident: Resident) -> Reply:
    named = await contacts.contact_of(turn.session, resident.id)
    if named is None:
        return flow.no_contact(how=resident.preferred_how)
    return flow.your_contact(flow.first_name(named.name), how=resident.preferred_how)


async def press_contact_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a contact button: the resident's, or a staff member's handover."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    chat_id = query.message.chat.id if query.message else query.from_user.id
    press = flow.read_press(query.data or "")
    if press is not None and press.action == flow.GIVE:
        await _give(turn, press, query, chat_id=chat_id)
        return
    resident = turn.resident
    if press is None or resident is None:
        # Old, forged, or a resident's button pressed by staff: nothing happens.
        turn.call(
            chat_id,
            "answerCallbackQuery",
            {"callback_query_id": query.id, "text": plain(welcome.unknown_button())},
        )
        return
    turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
    if press.action == flow.YES and press.code is not None:
        await _confirm(turn, resident, press.code, query, chat_id=chat_id)
    elif press.action == flow.NO:
        _clear_buttons(turn, query, chat_id)
        turn.say(chat_id, flow.invite_declined())
    elif press.action == flow.HOW and press.how is not None:
        contacts.prefer(resident, press.how)
        turn.say(chat_id, flow.preference_saved(press.how))
    elif press.action == flow.WRITE:
        await _write_to_contact(turn, resident, chat_id)
    elif press.action == flow.OTHER:
        await _ask_for_another(turn, resident, chat_id)


def _clear_buttons(turn: Turn, query: CallbackQuery, chat_id: int) -> None:
    """Take the buttons off the message pressed, so a second press cannot happen by mistake."""
    if query.message is None:
        return
    turn.call(
        chat_id,
        "editMessageReplyMarkup",
        {
            "chat_id": chat_id,
            "message_id": query.message.message_id,
            "reply_markup": {"inline_keyboard": []},
        },
    )


async def _confirm(
    turn: Turn, resident: Resident, code: str, query: CallbackQuery, *, chat_id: int
) -> None:
    """Use the invite: of two people pressing Yes on one link, exactly one gets the contact."""
    check = await contacts.use_invite(turn.session, code, resident, turn.now)
    staff = check.staff
    if check.state == InviteState.VALID and staff is not None:
        _clear_buttons(turn, query, chat_id)
        log.info("a resident confirmed an invite: staff %s is their contact now", staff.id)
    turn.say(
        chat_id,
        flow.answer_yes(
            check.state,
            name=flow.first_name(staff.name) if staff is not None else None,
            days=INVITE_DAYS,
            already_yours=staff is not None
            and check.used_by == resident.id
            and resident.contact_id == staff.id,
        ),
    )


async def _write_to_contact(turn: Turn, resident: Resident, chat_id: int) -> None:
    """Open a case at normal priority for the resident's contact person (and the staff group)."""
    named = await contacts.contact_of(turn.session, resident.id)
    if named is None:
        turn.say(chat_id, flow.no_contact(how=resident.preferred_how))
        return
    group = _group(turn)
    heading = flow.write_heading(named.name, resident.preferred_how)
    new = await casework.open_maybe_urgent(
        chat_id, None, heading, to=[named.telegram_user_id, *group]
    )
    if not new:
        case_id = casework.in_case(resident)
        if case_id is not None:
            _note_for(
                turn,
                named.telegram_user_id,
                flow.write_in_case(case_id, resident.preferred_how),
                case_id,
            )
    turn.say(chat_id, flow.contact_told(flow.first_name(named.name)))


async def _ask_for_another(turn: Turn, resident: Resident, chat_id: int) -> None:
    """Hand the resident to a supervisor at normal priority: they need give no reason."""
    named = await contacts.contact_of(turn.session, resident.id)
    # Supervisors hear of it in their own chats; their colleague (the contact) is not told.
    chats = [
        member.telegram_user_id
        for member in await contacts.supervisors(turn.session)
        if named is None or member.id != named.id
    ]
    heading = flow.another_heading(named.name if named is not None else None)
    new = await casework.open_maybe_urgent(chat_id, None, heading, to=chats or None)
    if not new:
        case_id = casework.in_case(resident)
        if case_id is not None:
            note = flow.another_in_case(case_id, named.name if named is not None else None)
            for staff_chat in chats or _group(turn):
                _note_for(turn, staff_chat, note, case_id)
    if not chats and not _group(turn):
        log.error("a request for another contact person reaches no one: no supervisor, no group")
    turn.say(chat_id, flow.another_asked(has_contact=named is not None))


def _group(turn: Turn) -> list[int]:
    return [turn.settings.staff_chat_id] if turn.settings.staff_chat_id is not None else []


def _note_for(turn: Turn, staff_chat: int, note: Reply, case_id: int) -> None:
    """Tell one staff chat about an open case; a reply to the note reaches the case."""
    group = turn.settings.staff_chat_id
    purpose: dict[str, Any] = {"case_post": case_id}
    if group is not None and staff_chat != group:
        purpose["fallback_chat"] = group
    turn.say(staff_chat, note, locale=turn.settings.staff_locale, purpose=purpose)


# --- staff ------------------------------------------------------------------------------------


async def make_invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Give a staff member a one-time link that makes them a resident's contact (/invite)."""
    turn = current_turn()
    chat = update.effective_chat
    staff = turn.staff
    assert chat is not None and staff is not None
    code = await contacts.create_invite(turn.session, staff.id, turn.now)
    await cases.audit(turn.session, staff_id=staff.id, action="invite", case_id=None, now=turn.now)
    link = flow.invite_link(context.bot.username, code)
    turn.say(chat.id, flow.invite_made(link, INVITE_DAYS), locale=turn.settings.staff_locale)


def _may_hand_over(staff: StaffMember, contact_id: int | None) -> bool:
    return staff.role in SUPERVISING_ROLES or contact_id == staff.id


async def start_handover(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask which colleague becomes the contact of a case's resident (/handover NUMBER)."""
    turn = current_turn()
    chat = update.effective_chat
    staff = turn.staff
    assert chat is not None and staff is not None
    locale = turn.settings.staff_locale
    args = context.args or []
    if len(args) != 1 or not flow.is_case_number(args[0].lstrip("#")):
        turn.say(chat.id, flow.handover_usage(), locale=locale)
        return
    number = int(args[0].lstrip("#"))
    case = await cases.get_case(turn.session, number)
    resident = await turn.session.get(Resident, case.resident_id) if case is not None else None
    if case is None or resident is None:
        turn.say(chat.id, flow.no_such_case(number), locale=locale)
        return
    if not _may_hand_over(staff, resident.contact_id):
        await cases.audit(
            turn.session, staff_id=staff.id, action="forbidden", case_id=case.id, now=turn.now
        )
        turn.say(chat.id, Reply.of(flow.handover_not_allowed()), locale=locale)
        return
    # Read as it is, even if removed from staff: the handover starts from whoever it is.
    named = (
        await turn.session.get(StaffMember, resident.contact_id)
        if resident.contact_id is not None
        else None
    )
    current = flow.Colleague(named.id, named.name) if named is not None else None
    colleagues = [
        flow.Colleague(member.id, member.name)
        for member in await queries.list_staff(turn.session)
        if member.id != resident.contact_id
    ]
    reply = flow.handover_choose(number, current, colleagues)
    turn.say(chat.id, reply, locale=locale)


async def _give(
    turn: Turn, press: flow.ContactPress, query: CallbackQuery, *, chat_id: int
) -> None:
    """A handover button: staff only, checked in the database on every press, and audited."""
    staff = turn.staff
    locale = turn.settings.staff_locale
    answer: dict[str, object] = {"callback_query_id": query.id}
    if staff is None or press.case_number is None or press.to_staff is None:
        turn.call(chat_id, "answerCallbackQuery", answer)
        await cases.audit(
            turn.session, staff_id=None, action="forbidden", case_id=None, now=turn.now
        )
        log.warning("a handover press was refused: not staff")
        return
    case = await cases.get_case(turn.session, press.case_number)
    resident = await turn.session.get(Resident, case.resident_id) if case is not None else None
    if case is None or resident is None:
        turn.call(chat_id, "answerCallbackQuery", answer)
        turn.say(chat_id, flow.no_such_case(press.case_number), locale=locale)
        return
    if not _may_hand_over(staff, resident.contact_id):
        answer |= {"text": plain(flow.handover_not_allowed(), locale), "show_alert": True}
        turn.call(chat_id, "answerCallbackQuery", answer)
        await cases.audit(
            turn.session, staff_id=staff.id, action="forbidden", case_id=case.id, now=turn.now
        )
        log.warning("a handover press was refused: neither the contact nor a supervisor")
        return
    before = (
        await turn.session.get(StaffMember, press.from_staff)
        if press.from_staff is not None
        else None
    )
    moved = await contacts.hand_over(
        turn.session,
        resident_id=resident.id,
        from_staff_id=press.from_staff,
        to_staff_id=press.to_staff,
        now=turn.now,
    )
    target = await turn.session.get(StaffMember, press.to_staff) if moved else None
    if target is None:
        answer |= {"text": plain(flow.handover_changed(case.id), locale), "show_alert": True}
        turn.call(chat_id, "answerCallbackQuery", answer)
        return
    turn.call(chat_id, "answerCallbackQuery", answer)
    _clear_buttons(turn, query, chat_id)
    await cases.audit(
        turn.session, staff_id=staff.id, action="handover", case_id=case.id, now=turn.now
    )
    turn.say(chat_id, Reply.of(flow.handover_done(case.id, target.name)), locale=locale)
    if target.id != staff.id:
        _note_for(turn, target.telegram_user_id, flow.you_are_the_contact(case.id), case.id)
    if resident.blocked_at is None:
        turn.say(
            resident.chat_id,
            flow.handed_over(
                flow.first_name(target.name),
                before=flow.first_name(before.name) if before is not None else None,
            ),
            locale=resident.locale,
        )


# --- from the command line: no update, no turn, the same outbox --------------------------------


def queue_message(
    session: AsyncSession, chat_id: int, reply: Reply, *, locale: str, now: datetime
) -> None:
    """Queue a message in the outbox; the running bot delivers it (in order, with retries)."""
    for params in send_message_params(reply, chat_id, locale):
        queries.add_outgoing(session, chat_id=chat_id, method="sendMessage", params=params, now=now)


async def release_residents(session: AsyncSession, staff: StaffMember, now: datetime) -> int:
    """A staff member leaves: tell each of their residents, and give them back to reception.

    Returns:
        How many residents had them as their contact.
    """
    released = await contacts.release_residents_of(session, staff.id, now)
    told = flow.contact_left(flow.first_name(staff.name))
    for resident in released:
        if resident.blocked_at is None:
            queue_message(session, resident.chat_id, told, locale=resident.locale, now=now)
    return len(released)


async def hand_over_residents(
    session: AsyncSession,
    *,
    giver: StaffMember,
    taker: StaffMember,
    now: datetime,
    staff_locale: str,
    chat_id: int | None = None,
) -> int:
    """Move a staff member's residents (or one, by chat) to a colleague; tell each of them.

    Returns:
        How many residents were handed over.
    """
    moved = await contacts.hand_over_all(
        session, from_staff_id=giver.id, to_staff_id=taker.id, now=now, chat_id=chat_id
    )
    told = flow.handed_over(flow.first_name(taker.name), before=flow.first_name(giver.name))
    for resident in moved:
        if resident.blocked_at is None:
            queue_message(session, resident.chat_id, told, locale=resident.locale, now=now)
    if moved:
        queue_message(
            session,
            taker.telegram_user_id,
            flow.residents_handed_to_you(len(moved)),
            locale=staff_locale,
            now=now,
        )
    return len(moved)
