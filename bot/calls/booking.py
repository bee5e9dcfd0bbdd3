"""Booking a call, as a resident and as staff: Telegram in, a flow decides, the outbox out.

A resident books with their named contact (:func:`storage.contacts.contact_of`), or
without one with the reception team (every staff member with hours, the least booked
free one picked). Days come first, then times, then how to talk, then (for a phone call)
the number. The booking, its reminders (timers), the confirmation, the calendar file
and the message to the staff member are written in one transaction, so none of them
exists without the others; the database's booking cells decide who gets a time that
two people press at once (:mod:`storage.bookings`).

Every press that names a booking is checked in the database: a resident acts only on
their own bookings, a staff member only on calls with them (supervisors and admins on
any); anything else does nothing and is written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot.cases import casework
from bot.core.courier import stored_file
from bot.core.i18n import clock, day_and_time, plain, written_day
from bot.core.turn import Turn, current_turn
from flows import welcome
from flows.calls import booking
from flows.calls.availability import Availability
from flows.calls.calendar_file import CalendarCall, calendar_file, file_name
from flows.calls.times import (
    DAYS_PER_PAGE,
    Bookability,
    TeamSlot,
    free_times,
    is_bookable,
    least_booked,
    page_of_days,
    team_free_times,
)
from flows.calls.times import Booking as BookedTime
from flows.catalogue import Service
from flows.replies import Reply, Text
from storage import bookings, contacts
from storage import casework as case_storage
from storage.hours import availability_of, staff_with_hours
from storage.models import Booking, Resident, StaffMember, Timer

log = logging.getLogger(__name__)

REFUSED = "booking-refused"


# --- who a resident can book, and when --------------------------------------------------


@dataclass
class Offering:
    """The people whose times are offered, their hours and their booked calls."""

    offer: booking.Offer
    members: dict[int, tuple[StaffMember, Availability]]
    # One person (a named contact, or the person of a call being moved), or a team.
    named: bool
    booked: dict[int, list[BookedTime]] = field(default_factory=dict)


async def _offering(turn: Turn, resident_id: int, moving: Booking | None) -> Offering | None:
    """Return whose times to offer: a moved call's person, the named contact, or the team."""
    session = turn.session
    members: dict[int, tuple[StaffMember, Availability]] = {}
    if moving is not None:
        staff = await session.get(StaffMember, moving.staff_id)
        hours = await availability_of(session, moving.staff_id)
        if staff is None or hours is None:
            return None
        members[staff.id] = (staff, hours)
        offer, named = booking.Offer(staff.name, moving=moving.id), True
    else:
        contact = await contacts.contact_of(session, resident_id)
        hours = await availability_of(session, contact.id) if contact is not None else None
        if contact is not None and hours is not None:
            members[contact.id] = (contact, hours)
            offer, named = booking.Offer(contact.name), True
        else:
            # No named contact (or one who takes no calls): the reception team answers.
            for member, member_hours in await staff_with_hours(session):
                members[member.id] = (member, member_hours)
            offer, named = booking.Offer(None), False
    if not members:
        return None
    booked: dict[int, list[BookedTime]] = {staff_id: [] for staff_id in members}
    for call in await bookings.booked_with(session, list(members), since=turn.now):
        if moving is None or call.id != moving.id:
            booked[call.staff_id].append(BookedTime(call.start_at, call.minutes))
    return Offering(offer, members, named, booked)


def _times(turn: Turn, offering: Offering, on: date | None = None) -> list[tuple[datetime, int]]:
    """Return the free starts (local) and with whom (0: anyone free in the team)."""
    zone, holidays = turn.settings.zone, turn.settings.public_holidays
    if offering.named:
        ((staff_id, (_staff, hours)),) = offering.members.items()
        starts = free_times(hours, offering.booked[staff_id], turn.now, zone, holidays, on=on)
        return [(start, staff_id) for start in starts]
    team = {staff_id: hours for staff_id, (_staff, hours) in offering.members.items()}
    slots = team_free_times(team, offering.booked, turn.now, zone, holidays, on=on)
    return [(slot.start, 0) for slot in slots]


def _pick(
    turn: Turn, offering: Offering, at: datetime, prefer: int
) -> tuple[int | None, Bookability]:
    """Return who is free at ``at`` (``prefer`` if they are, else the least booked), or why not."""
    zone, holidays = turn.settings.zone, turn.settings.public_holidays
    reasons = {
        staff_id: is_bookable(at, hours, offering.booked[staff_id], turn.now, zone, holidays)
        for staff_id, (_staff, hours) in offering.members.items()
    }
    free = tuple(staff_id for staff_id, reason in reasons.items() if reason)
    if prefer in free:
        return prefer, Bookability.BOOKABLE
    if free:
        return least_booked(TeamSlot(at, free), offering.booked), Bookability.BOOKABLE
    for reason in (Bookability.PASSED, Bookability.TOO_SOON, Bookability.TAKEN):
        if reason in reasons.values():
            return None, reason
    return None, next(iter(reasons.values()))


# --- formatting in a locale --------------------------------------------------------------


def _day_label(day: date, locale: str) -> str:
    return written_day(day, locale)


def _when(turn: Turn, start: datetime, locale: str) -> str:
    """A start written out: "tisdag 8 december 09:00"."""
    local = start.astimezone(turn.settings.zone)
    return day_and_time(written_day(local, locale), clock(local, locale), locale)


def _span(turn: Turn, start: datetime, minutes: int, locale: str) -> str:
    """A call written out: "tisdag 8 december 09:00–09:30"."""
    end = start.astimezone(turn.settings.zone) + timedelta(minutes=minutes)
    return f"{_when(turn, start, locale)}–{clock(end, locale)}"


def _call_view(turn: Turn, call: Booking, staff: StaffMember, locale: str) -> booking.CallView:
    return booking.CallView(
        call.id, _span(turn, call.start_at, call.minutes, locale), staff.name, call.how, call.phone
    )


def _staff_view(
    turn: Turn, call: Booking, *, resident: str | None = None, staff: str | None = None
) -> booking.StaffView:
    locale = turn.settings.staff_locale
    return booking.StaffView(
        call.id,
        _span(turn, call.start_at, call.minutes, locale),
        call.how,
        call.phone,
        resident=resident,
        staff=staff,
    )


def _days_reply(
    turn: Turn,
    offering: Offering | None,
    locale: str,
    *,
    after: date | None = None,
    note: Text | None = None,
) -> Reply:
    if offering is None:
        return booking.choose_day(booking.Offer(None), (), None, note=note)
    page = page_of_days(
        (start for start, _ in _times(turn, offering)), after=after, limit=DAYS_PER_PAGE
    )
    labels = [(day, _day_label(day, locale)) for day in page.days]
    return booking.choose_day(offering.offer, labels, page.more_after, note=note)


def _day_reply(
    turn: Turn, offering: Offering | None, day: date, locale: str, *, note: Text | None = None
) -> Reply:
    times = _times(turn, offering, on=day) if offering is not None else []
    if offering is None or not times:
        # An old day button (the day has passed, or filled up): say so, offer the others.
        return _days_reply(turn, offering, locale, note=note or booking.note_for("gone"))
    shown = [(start, clock(start, locale), staff_id) for start, staff_id in times]
    return booking.choose_time(offering.offer, _day_label(day, locale), shown, note=note)


def _fresh(turn: Turn, offering: Offering | None, at: datetime, reason: str, locale: str) -> Reply:
    """The times one can book now, after a time that could not be: why first."""
    day = at.astimezone(turn.settings.zone).date()
    return _day_reply(turn, offering, day, locale, note=booking.note_for(reason))


# --- sending ----------------------------------------------------------------------------------


def _send_calendar(turn: Turn, resident: Resident, call: Booking, staff: StaffMember) -> None:
    """Queue the call's .ics for the resident: a REQUEST, or a CANCEL once it is cancelled."""
    locale = resident.locale
    how = Text.of(booking.WAY_NAMES.get(call.how, call.how))
    content = calendar_file(
        CalendarCall(
            uid=call.uid,
            sequence=call.sequence,
            start=call.start_at,
            minutes=call.minutes,
            title=plain(booking.calendar_title(staff.name), locale),
            description=plain(how, locale),
            cancelled=call.status == "cancelled",
        ),
        turn.settings.zone,
        stamp=turn.now,
    )
    turn.call(
        resident.chat_id,
        "sendDocument",
        {"chat_id": resident.chat_id, "document": stored_file(file_name(call.id), content)},
    )


def _tell_resident(
    turn: Turn, resident: Resident | None, reply: Reply, call: Booking, staff: StaffMember
) -> None:
    if resident is None or resident.blocked_at is not None:
        return
    turn.say(resident.chat_id, reply, locale=resident.locale)
    _send_calendar(turn, resident, call, staff)


def _tell_staff(turn: Turn, staff: StaffMember, reply: Reply) -> None:
    """Write to a staff member privately; if they never opened the chat, in the staff group."""
    group = turn.settings.staff_chat_id
    turn.say(
        staff.telegram_user_id,
        reply,
        locale=turn.settings.staff_locale,
        purpose={"fallback_chat": group} if group is not None else None,
    )


def _answer(turn: Turn, query: CallbackQuery, alert: Text | None = None) -> None:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    params: dict[str, object] = {"callback_query_id": query.id}
    if alert is not None:
        params["text"] = plain(alert, turn.locale)
    turn.call(chat_id, "answerCallbackQuery", params)


async def _refuse(turn: Turn, query: CallbackQuery) -> None:
    """A forged button, or one for a booking that is not the presser's: nothing, and noted."""
    _answer(turn, query, welcome.unknown_button())
    staff_id = turn.staff.id if turn.staff is not None else None
    await case_storage.audit(
        turn.session, staff_id=staff_id, action=REFUSED, case_id=None, now=turn.now
    )
    log.warning("a booking button was refused: forged, or not the presser's booking")


# --- residents: booking -----------------------------------------------------------------------


def _await_phone(resident: Resident, at: datetime, staff_id: int) -> None:
    """Wait for the phone number, keeping the step it interrupts (a case, a question)."""
    _stop_waiting(resident)
    resident.step_data = {
        "at": int(at.timestamp()) // 60,
        "staff": staff_id,
        "then": {"step": resident.step, "data": dict(resident.step_data or {})},
    }
    resident.step = booking.ASK_PHONE


def _stop_waiting(resident: Resident) -> None:
    """Stop waiting for a phone number: back to the step it interrupted, if any."""
    if resident.step != booking.ASK_PHONE:
        return
    then = (resident.step_data or {}).get("then")
    if isinstance(then, dict) and isinstance(then.get("step"), str):
        resident.step, resident.step_data = then["step"], dict(then.get("data") or {})
    else:
        resident.step, resident.step_data = "", {}


async def start_booking(chat_id: int, service: Service | None = None) -> None:
    """Offer the days with free times ("Book a call", /book); with none set up, ask a person."""
    turn = current_turn()
    resident = turn.resident
    assert resident is not None
    offering = await _offering(turn, resident.id, None)
    if offering is None:
        # Nobody takes calls through the bot yet: a person is asked to call, as before.
        await casework.ask_for_person(chat_id, service)
        return
    _stop_waiting(resident)
    turn.say(chat_id, _days_reply(turn, offering, turn.locale))


async def book_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start booking a call (/book)."""
    turn = current_turn()
    chat = update.effective_chat
    assert chat is not None
    if turn.resident is None:
        turn.say(chat.id, welcome.unknown_command())
        return
    await start_booking(chat.id)


async def _book(
    turn: Turn,
    chat_id: int,
    resident: Resident,
    *,
    at: datetime,
    prefer: int,
    how: str,
    phone: str | None,
    who: str | None,
) -> None:
    """Book the call, or say kindly why not with the times free now."""
    locale = resident.locale
    offering = await _offering(turn, resident.id, None)
    if offering is None:
        turn.say(chat_id, _days_reply(turn, None, locale, note=booking.note_for("gone")))
        return
    made: Booking | None = None
    while made is None:
        staff_id, reason = _pick(turn, offering, at, prefer)
        if staff_id is None:
            _stop_waiting(resident)
            turn.say(chat_id, _fresh(turn, offering, at, reason, locale))
            return
        staff, hours = offering.members[staff_id]
        made = await bookings.book(
            turn.session,
            resident_id=resident.id,
            staff_id=staff_id,
            start=at,
            minutes=hours.meeting_minutes,
            buffer_minutes=hours.buffer_minutes,
            how=how,
            phone=phone,
            now=turn.now,
        )
        if made is None:
            # Taken a moment ago by someone else: try another free member, or say so.
            offering.booked[staff_id].append(BookedTime(at, hours.meeting_minutes))
    _stop_waiting(resident)
    contacts.prefer(resident, how)
    turn.say(chat_id, booking.booked(_call_view(turn, made, staff, locale)), locale=locale)
    _send_calendar(turn, resident, made, staff)
    _tell_staff(turn, staff, booking.staff_booked(_staff_view(turn, made, resident=who)))
    log.info("a call was booked (booking %s)", made.id)


async def phone_written(message: Message) -> bool:
    """Take a phone number while one is asked for; False when the text is not meant as one.

    A text without digits leaves the booking (it is read as a question); one with digits
    that is not a number is asked for again.
    """
    turn = current_turn()
    resident = turn.resident
    if resident is None or resident.step != booking.ASK_PHONE:
        return False
    text = casework.words(message)
    phone = booking.read_phone(text)
    if phone is None:
        if not any(character.isdigit() for character in text):
            _stop_waiting(resident)
            return False
        turn.say(message.chat.id, booking.not_a_phone())
        return True
    data = resident.step_data or {}
    minute, staff_id = data.get("at"), data.get("staff")
    if not isinstance(minute, int) or not isinstance(staff_id, int):
        _stop_waiting(resident)
        return False
    await _book(
        turn,
        message.chat.id,
        resident,
        at=datetime.fromtimestamp(minute * 60, turn.now.tzinfo),
        prefer=staff_id,
        how="phone",
        phone=phone,
        who=message.from_user.first_name if message.from_user else None,
    )
    return True


# --- pressing a booking button ------------------------------------------------------------


async def _own_booking(turn: Turn, number: int | None) -> Booking | None:
    """Return the booking if the presser may act on it: theirs, or (staff) with them."""
    if number is None:
        return None
    call = await bookings.get_booking(turn.session, number)
    if call is None:
        return None
    if turn.staff is not None:
        mine = call.staff_id == turn.staff.id
        return call if mine or turn.staff.role in contacts.SUPERVISING_ROLES else None
    if turn.resident is not None and call.resident_id == turn.resident.id:
        return call
    return None


def _over(turn: Turn, call: Booking) -> bool:
    return call.status != "booked" or call.start_at <= turn.now


async def press_booking_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a booking button: days, times, how, move, cancel; refuse and note forgeries."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    press = booking.read_press(query.data or "")
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if press is None:
        await _refuse(turn, query)
        return
    moving: Booking | None = None
    if press.booking is not None:
        moving = await _own_booking(turn, press.booking)
        if moving is None:
            await _refuse(turn, query)
            return
    elif turn.resident is None or turn.staff is not None:
        # Choosing a new time is for residents; staff only move calls.
        await _refuse(turn, query)
        return
    if turn.resident is not None:
        # Another button: the number asked for before is no longer awaited.
        _stop_waiting(turn.resident)
    if moving is not None and _over(turn, moving) and press.action != booking.Action.KEEP:
        _answer(turn, query, booking.already_over())
        return
    if press.action in (booking.Action.MOVE, booking.Action.CANCEL, booking.Action.CANCEL_YES):
        await _change(turn, query, press, moving, chat_id)
        return
    if press.action == booking.Action.KEEP:
        _answer(turn, query)
        assert moving is not None
        await _keep(turn, moving, chat_id)
        return
    _answer(turn, query)
    resident_id = moving.resident_id if moving is not None else turn.resident.id  # type: ignore[union-attr]
    offering = await _offering(turn, resident_id, moving)
    locale = turn.locale
    if press.action == booking.Action.DAYS:
        turn.say(chat_id, _days_reply(turn, offering, locale, after=press.day))
    elif press.action == booking.Action.DAY:
        assert press.day is not None
        turn.say(chat_id, _day_reply(turn, offering, press.day, locale))
    elif press.action == booking.Action.AT:
        await _time_pressed(turn, chat_id, press, offering, moving, query)
    elif press.action == booking.Action.HOW:
        await _how_pressed(turn, chat_id, press, query)


async def _time_pressed(
    turn: Turn,
    chat_id: int,
    press: booking.Press,
    offering: Offering | None,
    moving: Booking | None,
    query: CallbackQuery,
) -> None:
    assert press.at is not None and press.staff is not None
    locale = turn.locale
    stale = offering is None or (press.staff != 0 and press.staff not in offering.members)
    if offering is None or stale:
        turn.say(chat_id, _fresh(turn, offering, press.at, "gone", locale))
        return
    staff_id, reason = _pick(turn, offering, press.at, press.staff)
    if staff_id is None:
        turn.say(chat_id, _fresh(turn, offering, press.at, reason, locale))
        return
    if moving is not None:
        await _move(turn, chat_id, moving, offering, press.at)
        return
    resident = turn.resident
    assert resident is not None
    staff, _hours = offering.members[staff_id]
    turn.say(
        chat_id,
        booking.choose_how(
            press.at,
            staff_id,
            _when(turn, press.at, locale),
            name=staff.name,
            preferred=resident.preferred_how,
        ),
    )


async def _how_pressed(
    turn: Turn, chat_id: int, press: booking.Press, query: CallbackQuery
) -> None:
    resident = turn.resident
    assert resident is not None and press.at is not None and press.staff is not None
    assert press.how is not None
    if press.how == "phone":
        offering = await _offering(turn, resident.id, None)
        staff_id, reason = (
            _pick(turn, offering, press.at, press.staff)
            if offering is not None
            else (None, Bookability.OUTSIDE_HOURS)
        )
        if staff_id is None:
            turn.say(chat_id, _fresh(turn, offering, press.at, reason, turn.locale))
            return
        _await_phone(resident, press.at, staff_id)
        turn.say(chat_id, booking.ask_phone(_when(turn, press.at, turn.locale)))
        return
    await _book(
        turn,
        chat_id,
        resident,
        at=press.at,
        prefer=press.staff,
        how=press.how,
        phone=None,
        who=query.from_user.first_name,
    )


# --- moving and cancelling ------------------------------------------------------------------


async def _people(turn: Turn, call: Booking) -> tuple[Resident | None, StaffMember]:
    resident = await turn.session.get(Resident, call.resident_id)
    staff = await turn.session.get(StaffMember, call.staff_id)
    assert staff is not None, "a booking's staff member vanished"
    return resident, staff


async def _move(turn: Turn, chat_id: int, call: Booking, offering: Offering, at: datetime) -> None:
    """Move a call to ``at``; tell the resident (with a new .ics) and the staff member."""
    locale = turn.locale
    _staff, hours = offering.members[call.staff_id]
    old_when = _span(turn, call.start_at, call.minutes, turn.settings.staff_locale)
    moved = await bookings.move(
        turn.session, call, start=at, buffer_minutes=hours.buffer_minutes, now=turn.now
    )
    if not moved:
        if call.status != "booked":
            turn.say(chat_id, Reply.of(booking.already_over()))
            return
        offering.booked[call.staff_id].append(BookedTime(at, call.minutes))
        turn.say(chat_id, _fresh(turn, offering, at, "taken", locale))
        return
    resident, staff = await _people(turn, call)
    actor = turn.staff
    if actor is None:
        assert resident is not None
        turn.say(chat_id, booking.moved(_call_view(turn, call, staff, locale)), locale=locale)
        _send_calendar(turn, resident, call, staff)
        _tell_staff(turn, staff, booking.staff_moved(_staff_view(turn, call), old_when))
    else:
        await case_storage.audit(
            turn.session, staff_id=actor.id, action="booking-move", case_id=None, now=turn.now
        )
        turn.say(chat_id, booking.staff_done(booking.STAFF_MOVED, _staff_view(turn, call)))
        if resident is not None:
            view = _call_view(turn, call, staff, resident.locale)
            _tell_resident(turn, resident, booking.moved(view, by=actor.name), call, staff)
        if actor.id != staff.id:
            _tell_staff(turn, staff, booking.staff_moved(_staff_view(turn, call), old_when))
    log.info("a call was moved (booking %s)", call.id)


async def _change(
    turn: Turn,
    query: CallbackQuery,
    press: booking.Press,
    call: Booking | None,
    chat_id: int,
) -> None:
    assert call is not None
    _answer(turn, query)
    locale = turn.locale
    resident, staff = await _people(turn, call)
    if press.action == booking.Action.MOVE:
        offering = await _offering(turn, call.resident_id, call)
        turn.say(chat_id, _days_reply(turn, offering, locale))
        return
    if press.action == booking.Action.CANCEL:
        if turn.staff is not None:
            turn.say(chat_id, booking.staff_ask_cancel(_staff_view(turn, call)))
        else:
            turn.say(chat_id, booking.ask_cancel(_call_view(turn, call, staff, locale)))
        return
    before = _staff_view(turn, call)
    if not await bookings.cancel(turn.session, call, turn.now):
        turn.say(chat_id, Reply.of(booking.already_over()))
        return
    actor = turn.staff
    if actor is None:
        assert resident is not None
        view = _call_view(turn, call, staff, locale)
        turn.say(chat_id, booking.cancelled(view), locale=locale)
        _send_calendar(turn, resident, call, staff)
        _tell_staff(turn, staff, booking.staff_cancelled(before))
    else:
        turn.say(chat_id, booking.staff_done(booking.STAFF_CANCELLED, before))
        await _cancelled_by_staff(turn, call, actor, resident, staff)
    log.info("a call was cancelled (booking %s)", call.id)


async def _cancelled_by_staff(
    turn: Turn, call: Booking, actor: StaffMember, resident: Resident | None, staff: StaffMember
) -> None:
    await case_storage.audit(
        turn.session, staff_id=actor.id, action="booking-cancel", case_id=None, now=turn.now
    )
    if resident is not None:
        view = _call_view(turn, call, staff, resident.locale)
        _tell_resident(turn, resident, booking.cancelled(view, by=actor.name), call, staff)
    if actor.id != staff.id:
        _tell_staff(turn, staff, booking.staff_cancelled(_staff_view(turn, call)))


async def cancel_for_staff(turn: Turn, call: Booking, actor: StaffMember) -> bool:
    """Cancel a call for a staff member (a sick day, say); False if it was cancelled already.

    The resident is told in their language, with a calendar file that removes the call;
    the call's own staff member is told too when someone else cancels it. Audited.
    """
    if not await bookings.cancel(turn.session, call, turn.now):
        return False
    resident, staff = await _people(turn, call)
    await _cancelled_by_staff(turn, call, actor, resident, staff)
    log.info("a call was cancelled by staff (booking %s)", call.id)
    return True


async def _keep(turn: Turn, call: Booking, chat_id: int) -> None:
    if turn.staff is not None:
        turn.say(chat_id, booking.staff_done(booking.STAFF_KEPT, _staff_view(turn, call)))
        return
    _resident, staff = await _people(turn, call)
    turn.say(chat_id, booking.kept(_call_view(turn, call, staff, turn.locale)))


# --- lists ----------------------------------------------------------------------------------


async def list_bookings(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the resident's coming calls, or the calls of today for staff (/bookings).

    A caseworker sees their own calls; a supervisor or admin the whole team's.
    """
    turn = current_turn()
    chat = update.effective_chat
    assert chat is not None
    replies: Sequence[Reply]
    if turn.staff is not None:
        zone = turn.settings.zone
        today = turn.now.astimezone(zone).date()
        begins = datetime.combine(today, datetime.min.time(), zone)
        ends = datetime.combine(today + timedelta(days=1), datetime.min.time(), zone)
        # Supervisors and admins see the whole team's day, each call with its person.
        team = turn.staff.role in contacts.SUPERVISING_ROLES
        calls = await bookings.between(
            turn.session, begins, ends, staff_id=None if team else turn.staff.id
        )
        day: list[booking.StaffView] = []
        for call in calls:
            member = await turn.session.get(StaffMember, call.staff_id) if team else None
            day.append(_staff_view(turn, call, staff=member.name if member else None))
        label = _day_label(today, turn.settings.staff_locale)
        replies = booking.staff_day(label, day)
    elif turn.resident is not None:
        calls = await bookings.upcoming_of_resident(turn.session, turn.resident.id, turn.now)
        views: list[booking.CallView] = []
        for call in calls:
            staff = await turn.session.get(StaffMember, call.staff_id)
            if staff is not None:
                views.append(_call_view(turn, call, staff, turn.locale))
        replies = booking.your_calls(views)
    else:
        replies = [welcome.unknown_command()]
    for reply in replies:
        turn.say(chat.id, reply)


# --- timers and forgetting --------------------------------------------------------------------


async def run_booking_timer(turn: Turn, timer: Timer) -> None:
    """Remind the resident and the staff member of a call, or forget its number once over."""
    if timer.booking_id is None:
        return
    call = await bookings.get_booking(turn.session, timer.booking_id)
    if call is None or call.status != "booked":
        return
    if timer.kind == bookings.CALL_OVER:
        await bookings.forget_number(turn.session, call.id)
        return
    before = bookings.REMINDERS.get(timer.kind)
    # A reminder of a time the call no longer has (moved), or that came too late, is dropped.
    if before is None or call.start_at - before != timer.due_at or turn.now >= call.start_at:
        return
    # Late after a stop: when a nearer reminder is due too, only that one speaks (never
    # "tomorrow" for a call within the hour).
    if any(turn.now >= call.start_at - other for other in bookings.REMINDERS.values()
           if other < before):
        return
    resident, staff = await _people(turn, call)
    if resident is not None and resident.blocked_at is None:
        view = _call_view(turn, call, staff, resident.locale)
        turn.say(resident.chat_id, booking.reminder(view, timer.kind), locale=resident.locale)
    _tell_staff(turn, staff, booking.staff_reminder(_staff_view(turn, call), timer.kind))


async def coming_calls(turn: Turn) -> list[Booking]:
    """Return the resident's booked calls that have not ended (none for staff)."""
    if turn.resident is None or turn.staff is not None:
        return []
    return await bookings.upcoming_of_resident(turn.session, turn.resident.id, turn.now)


async def forget_bookings(turn: Turn, resident: Resident) -> int:
    """Cancel and delete a resident's bookings (/forget); return how many were still to come.

    Their staff hear of each call that was still to come.
    """
    cancelled = 0
    for call in await bookings.remove_all_of(turn.session, resident.id):
        if call.start_at + timedelta(minutes=call.minutes) <= turn.now:
            continue
        cancelled += 1
        staff = await turn.session.get(StaffMember, call.staff_id)
        if staff is not None:
            _tell_staff(turn, staff, booking.staff_cancelled(_staff_view(turn, call)))
    return cancelled
