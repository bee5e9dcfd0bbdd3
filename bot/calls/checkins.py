"""Follow-up check-ins in Telegram: offered by staff, started by the resident, sent on time.

The shell of ``flows/checkins.py``. Staff offer a plan (``nara checkins offer``, a button
when they close a case); nothing is sent until the resident says yes and picks a time of
day. Each check-in is a timer in the shared scheduler (:mod:`storage.checkins`): taking
it, queueing the message and writing the next step's timer commit together, so a crash
or restart delays a check-in but never loses or doubles one. A very bad answer or "call
me" reaches the resident's contact (or the reception team) at once, with their recent
answers. Free text written to a check-in is triaged first like any message (see
``bot.app.handlers.read_question``); what is kept is scrubbed like kept questions.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot.calls import booking
from bot.calls.contact import queue_message
from bot.core.i18n import current_locale, plain, written_day
from bot.core.settings import Settings
from bot.core.turn import Turn, current_turn
from flows import checkins as flow
from flows import welcome
from flows.calls.contact import first_name
from flows.privacy import scrub
from flows.replies import Reply
from storage import casework as cases
from storage import checkins as stored
from storage import contacts
from storage.models import CheckinPlan, Resident, StaffMember, Timer

log = logging.getLogger(__name__)

# Words written within this long after a check-in count as its answer.
ROOM_TO_WRITE = timedelta(days=3)
# The morning digest for each contact, local time.
DIGEST_AT = (8, 30)


def _when(settings: Settings, moment: datetime, locale: str) -> str:
    """A date written out in ``locale`` ("måndag 14 december"), in the municipality's zone."""
    return written_day(moment.astimezone(settings.zone).date(), locale)


async def _contact_name(session: AsyncSession, resident: Resident) -> str | None:
    contact = await contacts.contact_of(session, resident.id)
    return first_name(contact.name) if contact is not None else None


# --- offering a plan (staff, the command line) -----------------------------------------------


async def offer(
    session: AsyncSession,
    settings: Settings,
    resident: Resident,
    plan_name: str,
    *,
    staff: StaffMember | None,
    now: datetime,
) -> str | None:
    """Offer ``plan_name`` to the resident (the offer goes through the outbox).

    Returns:
        None when offered, else why not: ``unknown-plan``, ``blocked`` or ``has-plan``.
    """
    plan = settings.checkin_plans().get(plan_name)
    if plan is None:
        return "unknown-plan"
    if resident.blocked_at is not None:
        return "blocked"
    row = await stored.offer(
        session,
        resident_id=resident.id,
        plan=plan.name,
        staff_id=staff.id if staff is not None else None,
        now=now,
    )
    if row is None:
        return "has-plan"
    reply = flow.offer(plan, await _contact_name(session, resident))
    queue_message(session, resident.chat_id, reply, locale=resident.locale, now=now)
    if staff is not None:
        await cases.audit(
            session, staff_id=staff.id, action="checkins-offer", case_id=None, now=now
        )
    log.info("check-ins offered (plan %s)", plan.name)
    return None


# --- the resident's buttons --------------------------------------------------------------------


def _answer(turn: Turn, query: CallbackQuery, text: Reply | None = None) -> None:
    params: dict[str, object] = {"callback_query_id": query.id}
    if text is not None:
        params["text"] = plain(text.paragraphs[0])
    chat_id = query.message.chat.id if query.message else query.from_user.id
    turn.call(chat_id, "answerCallbackQuery", params)


def _clear_buttons(turn: Turn, query: CallbackQuery) -> None:
    if query.message is None:
        return
    turn.call(
        query.message.chat.id,
        "editMessageReplyMarkup",
        {"chat_id": query.message.chat.id, "message_id": query.message.message_id},
    )


async def _own_plan(turn: Turn, plan_id: int | None) -> CheckinPlan | None:
    """The resident's own plan by its number; anything else is None (forged or foreign)."""
    resident = turn.resident
    if resident is None:
        return None
    if plan_id is None:
        return await stored.live_plan(turn.session, resident.id)
    plan = await stored.get_plan(turn.session, plan_id)
    return plan if plan is not None and plan.resident_id == resident.id else None


async def press_checkin_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a check-in button: yes/no to an offer, a time of day, a face, pause, stop."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    press = flow.read_press(query.data or "")
    resident = turn.resident
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if press is not None and press.action == flow.OFFER and turn.staff is not None:
        await _staff_offers(turn, query, press)
        return
    if press is not None and press.action == flow.BOOK and turn.staff is not None:
        await _offer_call(turn, query, press.resident_id)
        return
    if press is None or resident is None:
        await _refuse(turn, query)
        return
    plan_row = await _own_plan(turn, press.plan_id)
    plans = turn.settings.checkin_plans()
    plan = plans.get(plan_row.plan) if plan_row is not None else None
    if plan_row is None or plan is None:
        if press.plan_id is not None:
            await _refuse(turn, query)
            return
        _answer(turn, query)
        turn.say(chat_id, flow.old_button())
        return
    _answer(turn, query)
    action = press.action
    if action in ("yes", "no", "tod") and (plan_row.status != "offered" or press.plan != plan.name):
        turn.say(chat_id, flow.old_button())
        return
    if action == "yes":
        _clear_buttons(turn, query)
        turn.say(chat_id, flow.pick_time_of_day(plan))
    elif action == "no":
        _clear_buttons(turn, query)
        await stored.set_status(turn.session, plan_row, "declined", turn.now, was=("offered",))
        turn.say(chat_id, flow.declined())
    elif action == "tod" and press.time_of_day is not None:
        first = flow.first_due(
            turn.now, plan, press.time_of_day, turn.settings.zone, turn.settings.quiet
        )
        if await stored.start(
            turn.session, plan_row, time_of_day=press.time_of_day, now=turn.now, first=first
        ):
            _clear_buttons(turn, query)
            await stored.ensure_digest(turn.session, _next_digest(turn.settings, turn.now))
            turn.say(chat_id, flow.started(plan, _when(turn.settings, first, resident.locale)))
    elif action == "a" and press.step is not None and press.answer is not None:
        await _answered(turn, chat_id, resident, plan_row, plan, press.step, press.answer, query)
    elif action == "pause":
        await stored.set_status(turn.session, plan_row, "paused", turn.now, was=("active",))
        turn.say(chat_id, flow.paused())
    elif action == "resume":
        if await stored.set_status(turn.session, plan_row, "active", turn.now, was=("paused",)):
            due = _next_due(turn.settings, plan_row, plan, turn.now)
            if due is None:
                await stored.set_status(turn.session, plan_row, "done", turn.now, was=("active",))
                turn.say(chat_id, flow.stopped())
                return
            await stored.schedule(turn.session, plan_row, due)
            turn.say(chat_id, flow.resumed(_when(turn.settings, due, resident.locale)))
    elif action == "stop":
        await _stop(turn, chat_id, plan_row)
    else:
        turn.say(chat_id, flow.old_button())


# --- staff: offering a plan, offering a call -----------------------------------------------------


async def _staff_offers(turn: Turn, query: CallbackQuery, press: flow.Press) -> None:
    """A staff member pressed a plan for a case's resident: offer it, and say what happened."""
    staff = turn.staff
    assert staff is not None and press.case is not None and press.plan is not None
    locale = turn.settings.staff_locale
    chat_id = query.message.chat.id if query.message else query.from_user.id
    case = await cases.get_case(turn.session, press.case)
    resident = await turn.session.get(Resident, case.resident_id) if case is not None else None
    plan = turn.settings.checkin_plans().get(press.plan)
    why = "unknown-resident" if resident is None else None
    if resident is not None:
        why = await offer(
            turn.session, turn.settings, resident, press.plan, staff=staff, now=turn.now
        )
    reply = (
        flow.offer_sent(f"#{press.case}", plan)
        if why is None and plan is not None
        else flow.cannot_offer(why or "unknown-plan")
    )
    turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
    if why is None:
        _clear_buttons(turn, query)
    turn.say(chat_id, reply, locale=locale)


async def _offer_call(turn: Turn, query: CallbackQuery, resident_id: int | None) -> None:
    """Offer a call from a check-in alert: the resident gets the free times at once."""
    staff = turn.staff
    assert staff is not None
    resident = await turn.session.get(Resident, resident_id) if resident_id else None
    allowed = resident is not None and (
        resident.contact_id in (None, staff.id) or staff.role in contacts.SUPERVISING_ROLES
    )
    if resident is None or not allowed or resident.blocked_at is not None:
        await _refuse(turn, query)
        return
    chat_id = query.message.chat.id if query.message else query.from_user.id
    turn.call(
        chat_id,
        "answerCallbackQuery",
        {
            "callback_query_id": query.id,
            "text": plain(flow.call_offered(), turn.settings.staff_locale),
        },
    )
    # The days come as if the resident had written /book: in their language, their contact's.
    staff_side = turn.resident
    token = current_locale.set(resident.locale)
    turn.resident = resident
    try:
        await booking.start_booking(resident.chat_id)
    finally:
        turn.resident = staff_side
        current_locale.reset(token)
    await cases.audit(
        turn.session, staff_id=staff.id, action="checkins-offer-call", case_id=None, now=turn.now
    )


async def staff_checkins(chat_id: int, args: list[str]) -> None:
    """``/checkins N`` from a staff member: the plans to offer the resident of case N."""
    turn = current_turn()
    locale = turn.settings.staff_locale
    number = int(args[0]) if len(args) == 1 and args[0].lstrip("#").isdigit() else None
    if number is None:
        turn.say(chat_id, flow.checkins_usage(), locale=locale)
        return
    case = await cases.get_case(turn.session, number)
    if case is None:
        turn.say(chat_id, flow.cannot_offer("unknown-resident"), locale=locale)
        return
    turn.say(chat_id, flow.choose_plan(case.id, turn.settings.checkin_plans()), locale=locale)


async def _refuse(turn: Turn, query: CallbackQuery) -> None:
    """Forged or foreign data: nothing happens, a kind note, and the audit log knows."""
    chat_id = query.message.chat.id if query.message else query.from_user.id
    turn.call(
        chat_id,
        "answerCallbackQuery",
        {"callback_query_id": query.id, "text": plain(welcome.unknown_button())},
    )
    await cases.audit(
        turn.session, staff_id=None, action="checkins-forged-button", case_id=None, now=turn.now
    )


async def _stop(turn: Turn, chat_id: int, plan_row: CheckinPlan) -> None:
    await stored.set_status(
        turn.session, plan_row, "stopped", turn.now, was=("offered", "active", "paused")
    )
    turn.say(chat_id, flow.stopped())


async def _answered(
    turn: Turn,
    chat_id: int,
    resident: Resident,
    plan_row: CheckinPlan,
    plan: flow.Plan,
    step: int,
    answer: str,
    query: CallbackQuery,
) -> None:
    if not await stored.answer(turn.session, plan_row, step, answer, turn.now):
        turn.say(chat_id, flow.already_answered())
        return
    _clear_buttons(turn, query)
    contact = await contacts.contact_of(turn.session, resident.id)
    name = first_name(contact.name) if contact is not None else None
    turn.say(chat_id, flow.thanks(answer, contact is not None, name))
    if answer in flow.BAD or answer == "call":
        await _alert(turn, resident, plan_row, plan, contact, query.from_user.first_name)
    if answer == "call":
        # They asked to be called: the free times come at once, so they can pick one.
        await booking.start_booking(chat_id)


async def _alert(
    turn: Turn,
    resident: Resident,
    plan_row: CheckinPlan,
    plan: flow.Plan,
    contact: StaffMember | None,
    who: str,
) -> None:
    """Tell the contact (or the reception team) at once, with the recent answers."""
    locale = turn.settings.staff_locale
    rows = await stored.recent_answers(turn.session, plan_row.id)
    recent = [
        (_when(turn.settings, row.answered_at or row.sent_at, locale), row.answer or "")
        for row in rows
    ]
    words = next((row.words for row in rows if row.words), None)
    latest = rows[0].answer if rows else None
    reply = flow.staff_alert(who, latest or "", recent, plan, words, resident.id)
    target = contact.telegram_user_id if contact is not None else turn.settings.staff_chat_id
    if target is None:
        log.warning("a check-in answer needs a person, but no staff chat is configured")
        return
    purpose = (
        {"fallback_chat": turn.settings.staff_chat_id}
        if contact is not None and turn.settings.staff_chat_id is not None
        else None
    )
    turn.say(target, reply, locale=locale, purpose=purpose)


# --- words and "stop" written in the chat ------------------------------------------------------


async def words_written(message: Message, text: str) -> bool:
    """Take "stop" or words written to a recent check-in; False when it is not about one."""
    turn = current_turn()
    resident = turn.resident
    if resident is None:
        return False
    plan_row = await stored.live_plan(turn.session, resident.id)
    if plan_row is None:
        return False
    chat_id = message.chat.id
    if flow.is_stop(text, resident.locale):
        await _stop(turn, chat_id, plan_row)
        return True
    if plan_row.status != "active":
        return False
    row = await stored.open_answer(turn.session, plan_row, turn.now - ROOM_TO_WRITE)
    if row is None:
        return False
    await stored.add_words(turn.session, row, scrub(text), turn.now)
    turn.say(chat_id, flow.thanks_for_words(await _contact_name(turn.session, resident)))
    return True


# --- /checkins ----------------------------------------------------------------------------------


async def checkins_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the resident their plan, next date and pause/stop buttons (or what check-ins are)."""
    turn = current_turn()
    chat = update.effective_chat
    assert chat is not None
    resident = turn.resident
    if turn.staff is not None:
        await staff_checkins(chat.id, list(context.args or []))
        return
    if resident is None:
        turn.say(chat.id, welcome.unknown_command())
        return
    plan_row = await stored.live_plan(turn.session, resident.id)
    plan = turn.settings.checkin_plans().get(plan_row.plan) if plan_row is not None else None
    if plan_row is None or plan is None or plan_row.status == "offered":
        turn.say(chat.id, flow.no_plan())
        return
    due = plan_row.next_due if plan_row.status == "active" else None
    turn.say(
        chat.id,
        flow.status(
            plan,
            plan_row.status,
            _when(turn.settings, due, resident.locale) if due is not None else None,
            plan_row.time_of_day or "morning",
            plan_row.id,
        ),
    )


# --- the scheduler ------------------------------------------------------------------------------


def _next_due(
    settings: Settings, plan_row: CheckinPlan, plan: flow.Plan, now: datetime
) -> datetime | None:
    """When the plan's next step is due (None: the plan is over).

    After a pause, steps whose day fell in the pause are skipped, not sent in a burst.
    """
    if plan_row.started_at is None:
        return None
    found = flow.next_step(
        plan_row.started_at,
        plan,
        plan_row.time_of_day or "morning",
        settings.zone,
        settings.quiet,
        now,
    )
    if found is None or found[0] < plan_row.next_step:
        found = _step_after(settings, plan_row, plan)
    if found is None:
        return None
    step, due = found
    plan_row.next_step = step
    return due


def _step_after(
    settings: Settings, plan_row: CheckinPlan, plan: flow.Plan
) -> tuple[int, datetime] | None:
    """The plan's own next step and its due time (a step not yet sent)."""
    if plan_row.started_at is None or plan_row.next_step >= len(plan.steps):
        return None
    due = flow.step_due(
        plan_row.started_at,
        plan.steps[plan_row.next_step],
        plan_row.time_of_day or "morning",
        settings.zone,
        settings.quiet,
    )
    return plan_row.next_step, due


def _next_digest(settings: Settings, now: datetime) -> datetime:
    local = now.astimezone(settings.zone)
    hour, minute = DIGEST_AT
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= local:
        at = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at.astimezone(now.tzinfo)


async def run_checkin_timer(turn: Turn, timer: Timer) -> None:
    """Send a plan's due check-in and schedule the next; or wait for the morning; or pause."""
    if timer.checkin_id is None:
        return
    plan_row = await stored.get_plan(turn.session, timer.checkin_id)
    if plan_row is None or plan_row.status != "active":
        return
    plan = turn.settings.checkin_plans().get(plan_row.plan)
    resident = await turn.session.get(Resident, plan_row.resident_id)
    if plan is None or resident is None:
        return
    if resident.blocked_at is not None:
        # They blocked the bot: no more tries until they come back and resume.
        await stored.set_status(turn.session, plan_row, "paused", turn.now, was=("active",))
        return
    morning = flow.not_in_quiet_hours(turn.now, turn.settings.zone, turn.settings.quiet)
    if morning > turn.now:
        # Late (the bot was down, Telegram was out) and now it is night: wait for the morning.
        await stored.schedule(turn.session, plan_row, morning)
        return
    step = plan_row.next_step
    if step >= len(plan.steps):
        await stored.set_status(turn.session, plan_row, "done", turn.now, was=("active",))
        return
    name = await _contact_name(turn.session, resident)
    reply = flow.checkin(plan.steps[step].message, plan_row.id, step, contact_name=name)
    turn.say(resident.chat_id, reply, locale=resident.locale)
    await stored.record_sent(turn.session, plan_row, step, turn.now)
    due = _next_due(turn.settings, plan_row, plan, turn.now)
    if due is None:
        plan_row.status = "done"
        plan_row.next_due = None
    else:
        await stored.schedule(turn.session, plan_row, due)


async def run_digest_timer(turn: Turn, _timer: Timer) -> None:
    """Each morning: every contact hears who answered what, and who has not answered twice."""
    locale = turn.settings.staff_locale
    since = turn.now - timedelta(days=1)
    day = _when(turn.settings, turn.now, locale)
    for staff in await stored.contacts_with_plans(turn.session):
        entries = await stored.digest_for(turn.session, staff.id if staff else None, since)
        if not entries:
            continue
        rows = [
            flow.DigestRow(
                # No names are stored: residents appear by their number in Nära.
                name=f"#{entry.resident_id}",
                answers=tuple(answer or "words" for answer, _words in entry.answers),
                missed_twice=entry.unanswered >= 2,
            )
            for entry in entries
        ]
        target = staff.telegram_user_id if staff is not None else turn.settings.staff_chat_id
        if target is not None:
            turn.say(target, flow.digest(rows, day), locale=locale)
    await stored.ensure_digest(turn.session, _next_digest(turn.settings, turn.now))
