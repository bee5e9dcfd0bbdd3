"""A staff member's own hours for booked calls, in their private chat with the bot (/hours).

``/hours`` shows the hours with buttons; ``/hours <weekly hours>`` and ``/hours <date>
<hours>`` are typed (see :mod:`flows.calls.staff_hours`). A pressed button edits the message it
is on, so the chat keeps one current picture. The sender's staff role is looked up in
the database for every update (see ``bot/app/pipeline.py``): to a resident, ``/hours`` is an
unknown command and its buttons do nothing. Dates are local dates in ``NARA_TIMEZONE``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from babel.dates import format_skeleton, get_day_names
from telegram import Update
from telegram.ext import ContextTypes

from bot.calls import booking
from bot.core.i18n import babel_locale, current_locale, plain
from bot.core.render import PARAGRAPH_BREAK, send_message_params
from bot.core.turn import Turn, current_turn
from flows import welcome
from flows.calls import staff_hours
from flows.calls.availability import (
    DAY_NAMES,
    Availability,
    HoursError,
    TimeRange,
    WeeklyHours,
)
from flows.calls.staff_hours import DateError, HoursPress, OpenDay, TooLong
from flows.calls.times import bookings_on
from flows.replies import Reply
from storage import bookings, hours
from storage.models import Booking, StaffHours, StaffMember

log = logging.getLogger(__name__)


# --- what staff type ------------------------------------------------------------------------


async def hours_command(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the staff member's hours (/hours), or set what they typed after it."""
    turn, message = current_turn(), update.effective_message
    assert message is not None
    chat_id = message.chat.id
    staff = turn.staff
    if staff is None:
        turn.say(chat_id, welcome.unknown_command())
        return
    words = (message.text or "").split(maxsplit=1)
    typed = words[1].strip() if len(words) > 1 else ""
    if not typed:
        turn.say(chat_id, await _overview(turn, staff))
        return
    try:
        wanted = staff_hours.read_typed(typed)
    except (HoursError, DateError, TooLong) as error:
        turn.say(chat_id, staff_hours.not_changed(error))
        return
    if isinstance(wanted, OpenDay):
        turn.say(chat_id, await _open_day(turn, staff, wanted.day, wanted.hours))
        return
    await hours.set_hours(turn.session, staff.id, now=turn.now, weekly=wanted.weekly)
    log.info("staff %s set their weekly hours", staff.id)
    turn.say(chat_id, staff_hours.weekly_set(weekly_text(wanted.weekly)))


# --- what staff press -----------------------------------------------------------------------


async def press_hours_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a button of /hours: a menu, a choice, a day; edit the message it is on."""
    turn, query = current_turn(), update.callback_query
    assert query is not None
    press = staff_hours.read_press(query.data or "")
    message = query.message
    staff = turn.staff
    chat_id = message.chat.id if message is not None else query.from_user.id
    if press is None or staff is None or message is None or message.chat.type != "private":
        # Old, forged, or pressed by someone who is not (or no longer) staff: nothing happens.
        turn.call(
            chat_id,
            "answerCallbackQuery",
            {"callback_query_id": query.id, "text": plain(welcome.unknown_button())},
        )
        return
    turn.call(chat_id, "answerCallbackQuery", {"callback_query_id": query.id})
    reply = await _answer_press(turn, staff, press)
    _edit(turn, chat_id, message.message_id, reply)


async def _answer_press(turn: Turn, staff: StaffMember, press: HoursPress) -> Reply:
    today = _today(turn)
    if press.day is not None:
        refused = staff_hours.refuse_day(press.day, today)
        if refused is not None:
            return _with_overview(refused, await _overview(turn, staff))
    action = press.action
    if action in (staff_hours.MEETING, staff_hours.BUFFER):
        return await _minutes(turn, staff, action, press.minutes)
    if action in (staff_hours.DAY_OFF, staff_hours.DAY_OFF_PAGE):
        chosen = press.day if action == staff_hours.DAY_OFF else None
        return await _day_off(turn, staff, chosen, start=press.day)
    if action in (staff_hours.SICK, staff_hours.SICK_CONFIRMED):
        return await _sick(turn, staff, press.day, confirmed=action == staff_hours.SICK_CONFIRMED)
    if action == staff_hours.OPEN_HOLIDAY:
        return await _holiday(turn, staff, press.day)
    if action == staff_hours.USUAL:
        return await _usual(turn, staff, press.day)
    return await _overview(turn, staff)


async def _minutes(turn: Turn, staff: StaffMember, action: str, value: int | None) -> Reply:
    stored = await hours.hours_of(turn.session, staff.id)
    settings = _settings_of(stored)
    name = "meeting_minutes" if action == staff_hours.MEETING else "buffer_minutes"
    if value is None:
        return staff_hours.choose_minutes(action, settings[name])
    if action == staff_hours.MEETING:
        await hours.set_hours(turn.session, staff.id, now=turn.now, meeting_minutes=value)
    else:
        await hours.set_hours(turn.session, staff.id, now=turn.now, buffer_minutes=value)
    log.info("staff %s set their %s", staff.id, name)
    return _with_overview(staff_hours.minutes_set(action, value), await _overview(turn, staff))


async def _day_off(
    turn: Turn, staff: StaffMember, day: date | None, *, start: date | None
) -> Reply:
    if day is None:
        today = _today(turn)
        availability = await _availability(turn, staff)
        working = _working_days(turn, availability, today, today + staff_hours.FARTHEST_DAY)
        shown, more = staff_hours.offered_days(today, working, start=start)
        return staff_hours.choose_day_off([(d, _day_label(d)) for d in shown], more)
    await hours.set_day(turn.session, staff.id, day, "off")
    log.info("staff %s took a day off", staff.id)
    booked = await _calls_on(turn, staff, day)
    done = staff_hours.day_off_set(_day_label(day), calls_booked=bool(booked))
    return _with_overview(done, await _overview(turn, staff))


async def _sick(turn: Turn, staff: StaffMember, day: date | None, *, confirmed: bool) -> Reply:
    if day is None:
        today = _today(turn)
        tomorrow = today + timedelta(days=1)
        return staff_hours.choose_sick_day(
            (today, _day_label(today)), (tomorrow, _day_label(tomorrow))
        )
    if not confirmed:
        return staff_hours.confirm_sick_day(day, _day_label(day))
    cancelled = await record_sick_day(turn, staff, day)
    done = staff_hours.sick_day_set(_day_label(day), cancelled=cancelled)
    return _with_overview(done, await _overview(turn, staff))


async def _holiday(turn: Turn, staff: StaffMember, day: date | None) -> Reply:
    availability = await _availability(turn, staff)
    if day is None:
        offered = _holidays_off(turn, availability)
        return staff_hours.choose_holiday([(d, _holiday_label(turn, d)) for d in offered])
    weekly = availability.weekly if availability is not None else WeeklyHours.closed()
    ranges = weekly.on(day.weekday())
    if not ranges:
        # Pressed after the weekly hours changed: that weekday has none to open with.
        return staff_hours.choose_holiday(
            [(d, _holiday_label(turn, d)) for d in _holidays_off(turn, availability)]
        )
    return _with_overview(await _open_day(turn, staff, day, ranges), await _overview(turn, staff))


async def _open_day(
    turn: Turn, staff: StaffMember, day: date, ranges: Sequence[TimeRange]
) -> Reply:
    refused = staff_hours.refuse_day(day, _today(turn))
    if refused is not None:
        return refused
    await hours.set_day(turn.session, staff.id, day, "open", ranges)
    log.info("staff %s opened a day", staff.id)
    return staff_hours.day_opened(_day_label(day), ranges)


async def _usual(turn: Turn, staff: StaffMember, day: date | None) -> Reply:
    if day is None:
        coming = await hours.days_of(turn.session, staff.id, since=_today(turn))
        shown = coming[: staff_hours.DAYS_SHOWN]
        return staff_hours.choose_usual([(d.day, _day_label(d.day)) for d in shown])
    await hours.clear_day(turn.session, staff.id, day)
    log.info("staff %s set a day back to their usual hours", staff.id)
    done = staff_hours.usual_again(_day_label(day))
    return _with_overview(done, await _overview(turn, staff))


# --- the picture of their hours -------------------------------------------------------------


async def _overview(turn: Turn, staff: StaffMember) -> Reply:
    today = _today(turn)
    stored = await hours.hours_of(turn.session, staff.id)
    coming = await hours.days_of(turn.session, staff.id, since=today)
    availability = hours.availability_from(stored, coming) if stored is not None else None
    weekly = availability.weekly if availability is not None else WeeklyHours.closed()
    settings = _settings_of(stored)
    return staff_hours.overview(
        weekly=weekly_text(weekly),
        typed=weekly.format(),
        meeting=settings["meeting_minutes"],
        buffer=settings["buffer_minutes"],
        notice=settings["notice_minutes"],
        window=settings["window_days"],
        days=[
            staff_hours.DayLine(_day_label(d.day), d.kind, _ranges_text(d.hours))
            for d in coming[: staff_hours.DAYS_SHOWN]
        ],
        holidays=[
            _holiday_label(turn, d)
            for d in _holidays_off(turn, availability)[: staff_hours.HOLIDAYS_SHOWN]
        ],
    )


def _settings_of(stored: StaffHours | None) -> dict[str, int]:
    """The rules as stored, or the defaults of someone who set nothing yet."""
    source = stored if stored is not None else Availability(WeeklyHours.closed())
    return {name: int(getattr(source, name)) for name in hours.RULES}


async def _availability(turn: Turn, staff: StaffMember) -> Availability | None:
    stored = await hours.hours_of(turn.session, staff.id)
    if stored is None:
        return None
    return hours.availability_from(stored, await hours.days_of(turn.session, staff.id))


def _working_days(
    turn: Turn, availability: Availability | None, first: date, last: date
) -> list[date]:
    if availability is None:
        return []
    holidays = turn.settings.public_holidays
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if availability.hours_on(day, holidays)]


def _holidays_ahead(turn: Turn) -> list[date]:
    today = _today(turn)
    holidays = turn.settings.public_holidays
    ahead = (today + timedelta(days=n) for n in range(staff_hours.HOLIDAYS_AHEAD.days + 1))
    return [day for day in ahead if day in holidays]


def _holidays_off(turn: Turn, availability: Availability | None) -> list[date]:
    """Coming holidays that close a day the staff member would otherwise work."""
    if availability is None:
        return []
    exceptions = {exception.day for exception in availability.exceptions}
    return [
        day
        for day in _holidays_ahead(turn)
        if day not in exceptions and availability.weekly.on(day.weekday())
    ]


async def record_sick_day(turn: Turn, staff: StaffMember, day: date) -> int:
    """Make ``day`` a sick day and cancel its calls, each resident told; return how many.

    In the turn's transaction: the day and the cancellations are kept together. A call
    cancelled already (by a second press, or the command line) is not counted again.
    """
    await hours.set_day(turn.session, staff.id, day, "sick")
    cancelled = 0
    for call in await _calls_on(turn, staff, day):
        if await booking.cancel_for_staff(turn, call.row, staff):
            cancelled += 1
    log.info("staff %s is off sick for a day; %s calls cancelled", staff.id, cancelled)
    return cancelled


@dataclass(frozen=True)
class _Call:
    """A booked call as :func:`flows.calls.times.bookings_on` reads it, with its row."""

    start: datetime
    minutes: int
    row: Booking


async def _calls_on(turn: Turn, staff: StaffMember, day: date) -> list[_Call]:
    zone = turn.settings.zone
    # A day is at most 25 hours long; a call may begin the evening before and run over.
    begins = datetime.combine(day - timedelta(days=1), time(), zone)
    ends = datetime.combine(day + timedelta(days=2), time(), zone)
    booked = await bookings.between(turn.session, begins, ends, staff_id=staff.id)
    return bookings_on(day, [_Call(call.start_at, call.minutes, call) for call in booked], zone)


# --- words and dates in the staff language --------------------------------------------------


def _today(turn: Turn) -> date:
    return turn.now.astimezone(turn.settings.zone).date()


def _day_label(day: date) -> str:
    return format_skeleton("MMMEd", day, locale=babel_locale(current_locale.get()))


def _holiday_label(turn: Turn, day: date) -> str:
    locale = current_locale.get()
    # `holidays` names them in a few languages; otherwise in the country's own.
    language = {"en": "en_US", "sv": "sv_FI" if turn.settings.country == "FI" else "sv"}.get(
        locale, locale
    )
    name = turn.settings.public_holidays.name(day, language)
    return f"{_day_label(day)} – {name}" if name else _day_label(day)


def _ranges_text(written: str) -> str:
    return written.replace("-", "–").replace(",", ", ")


def weekly_text(weekly: WeeklyHours, locale: str | None = None) -> str:
    """Write weekly hours as the staff language does: "måndag–fredag 09:00–12:00, 13:00–16:00"."""
    names = get_day_names(
        "wide", context="stand-alone", locale=babel_locale(locale or current_locale.get())
    )
    groups: dict[tuple[TimeRange, ...], list[int]] = {}
    for day in range(len(DAY_NAMES)):
        if weekly.on(day):
            groups.setdefault(weekly.on(day), []).append(day)
    parts = []
    for ranges, days in groups.items():
        runs: list[list[int]] = []
        for day in days:
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        spelled = [
            f"{names[run[0]]}–{names[run[-1]]}"
            if len(run) >= 3
            else ", ".join(names[d] for d in run)
            for run in runs
        ]
        times = ", ".join(_ranges_text(str(span)) for span in ranges)
        parts.append(f"{', '.join(spelled)} {times}")
    return "; ".join(parts)


# --- sending --------------------------------------------------------------------------------


def _with_overview(first: Reply, overview: Reply) -> Reply:
    """A confirmation on top of the refreshed picture, keeping the picture's buttons."""
    return Reply.of(*first.paragraphs, *overview.paragraphs, buttons=overview.buttons)


def _edit(turn: Turn, chat_id: int, message_id: int, reply: Reply) -> None:
    sent = send_message_params(reply, chat_id, turn.locale)
    params = {
        **sent[-1],
        "message_id": message_id,
        "text": PARAGRAPH_BREAK.join(part["text"] for part in sent),
        # An empty keyboard removes the old buttons.
        "reply_markup": sent[-1].get("reply_markup") or {"inline_keyboard": []},
    }
    turn.call(chat_id, "editMessageText", params)
