"""Booking a call: days first, then times, then how; confirmation, moving and cancelling.

Plain values only. The shell reads the staff member's hours and bookings, asks
:mod:`flows.calls.times` which times are free, formats dates in the resident's
language (Babel, in the municipality's time zone) and passes them in as strings; these
functions say what to write and which buttons to show. The database decides who gets a
time two residents press at once (:mod:`storage.bookings`).

Callback data is short (Telegram allows 64 bytes) and carries no personal data: a
booking's number, a local date as ``YYYYMMDD``, a start as minutes since the epoch (UTC),
a staff id. :func:`read_press` refuses anything else. Whether the presser may act on
that booking is checked by the shell, in the database, on every press.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final

from flows.replies import N_, Button, Reply, Text

BOOK_BUTTON: Final = "bk"
# The resident's conversation step while the bot waits for a phone number.
ASK_PHONE: Final = "booking-phone"
# The timer kind of the reminder a day before (the other comes an hour before).
DAY_BEFORE: Final = "booking-24h"
TIMES_PER_ROW: Final = 3
# "Talk to a person" on a card (flows/ask.py): offered when no time is free.
PERSON_BUTTON: Final = "person"


class Action(StrEnum):
    """What a booking button does."""

    DAYS = "days"  # a page of days (the first, or "other days")
    DAY = "day"  # the free times of one day
    AT = "at"  # a time was picked
    HOW = "how"  # phone, video or in person was picked: book it
    MOVE = "mv"  # move a booking: its free days
    CANCEL = "x"  # ask whether to cancel
    CANCEL_YES = "xx"  # cancel it
    KEEP = "keep"  # do not cancel


WAYS: Final = ("phone", "video", "in-person")
_WAY_CODES: Final = {"p": "phone", "v": "video", "i": "in-person"}
_CODE_OF: Final = {way: code for code, way in _WAY_CODES.items()}
WAY_NAMES: Final = {
    "phone": N_("Phone call"),
    "video": N_("Video call"),
    "in-person": N_("In person"),
    "chat": N_("Chat"),
}

_NUMBER: Final = re.compile(r"^\d{1,12}$")
# What a phone number may contain when written: digits, one leading +, spaces and - ( ) .
_PHONE_SIGNS: Final = re.compile(r"^\+?[\d\s\-().]+$")
PHONE_DIGITS: Final = (6, 15)


@dataclass(frozen=True)
class Press:
    """A pressed booking button, read from its callback data.

    Attributes:
        action: what it does.
        booking: the booking it is about (moved, cancelled, kept); None for a new one.
        day: a local date (``DAY``), or the date after which to show days (``DAYS``).
        at: a start (``AT``, ``HOW``), aware, in UTC.
        staff: who the time was offered with (0: anyone free in the reception team).
        how: ``phone``, ``video`` or ``in-person`` (``HOW``).
    """

    action: Action
    booking: int | None = None
    day: date | None = None
    at: datetime | None = None
    staff: int | None = None
    how: str | None = None


def _number(text: str) -> int | None:
    return int(text) if _NUMBER.match(text) else None


def _day(text: str) -> date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _minute(moment: datetime) -> str:
    return str(int(moment.timestamp()) // 60)


def _at(text: str) -> datetime | None:
    minute = _number(text)
    return datetime.fromtimestamp(minute * 60, UTC) if minute is not None else None


def read_press(data: str) -> Press | None:
    """Return the booking button pressed, or None for anything else (including forgeries)."""
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != BOOK_BUTTON:
        return None
    try:
        action = Action(parts[1])
    except ValueError:
        return None
    args = parts[2:]
    if action in (Action.MOVE, Action.CANCEL, Action.CANCEL_YES, Action.KEEP):
        booking = _number(args[0]) if len(args) == 1 else None
        return Press(action, booking=booking) if booking else None
    if action == Action.HOW:
        if len(args) != 3 or args[2] not in _WAY_CODES:
            return None
        at, staff = _at(args[0]), _number(args[1])
        if at is None or staff is None:
            return None
        return Press(action, at=at, staff=staff, how=_WAY_CODES[args[2]])
    if not args:
        return None
    moving = _number(args[0])
    if moving is None:
        return None
    booking = moving or None
    if action == Action.DAYS and len(args) == 2:
        after = _day(args[1]) if args[1] else None
        return None if args[1] and after is None else Press(action, booking=booking, day=after)
    if action == Action.DAY and len(args) == 2:
        day = _day(args[1])
        return Press(action, booking=booking, day=day) if day is not None else None
    if action == Action.AT and len(args) == 3:
        at, staff = _at(args[1]), _number(args[2])
        if at is None or staff is None:
            return None
        return Press(action, booking=booking, at=at, staff=staff)
    return None


def days_data(moving: int | None, after: date | None) -> str:
    """Callback data for a page of days (after ``after``; the first page without)."""
    return (
        f"{BOOK_BUTTON}:{Action.DAYS}:{moving or 0}:{after:%Y%m%d}"
        if after
        else (f"{BOOK_BUTTON}:{Action.DAYS}:{moving or 0}:")
    )


def day_data(moving: int | None, day: date) -> str:
    """Callback data for the free times of one day."""
    return f"{BOOK_BUTTON}:{Action.DAY}:{moving or 0}:{day:%Y%m%d}"


def time_data(moving: int | None, start: datetime, staff: int) -> str:
    """Callback data for a picked time (``staff`` 0: anyone free in the team)."""
    return f"{BOOK_BUTTON}:{Action.AT}:{moving or 0}:{_minute(start)}:{staff}"


def how_data(start: datetime, staff: int, how: str) -> str:
    """Callback data for the way to talk, which books the call."""
    return f"{BOOK_BUTTON}:{Action.HOW}:{_minute(start)}:{staff}:{_CODE_OF[how]}"


def booking_data(action: Action, booking: int) -> str:
    """Callback data for moving, cancelling or keeping one booking."""
    return f"{BOOK_BUTTON}:{action}:{booking}"


def read_phone(text: str) -> str | None:
    """Return a written phone number tidied (digits, a leading +), or None if it is not one."""
    written = text.strip()
    if not _PHONE_SIGNS.match(written):
        return None
    digits = re.sub(r"\D", "", written)
    if not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        return None
    return ("+" if written.startswith("+") else "") + digits


# --- resident: picking a time ------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """What the times are offered with: a named person, or the reception team."""

    contact: str | None
    moving: int | None = None


def _who(offer: Offer) -> Text:
    if offer.moving is not None:
        return Text.of(N_("Pick a new day for the call."))
    if offer.contact is not None:
        return Text.of(N_("Pick a day for a call with {name}."), name=offer.contact)
    return Text.of(
        N_("Pick a day for a call with the reception team. I tell you who will talk to you.")
    )


def choose_day(
    offer: Offer,
    days: Sequence[tuple[date, str]],
    more_after: date | None,
    *,
    note: Text | None = None,
) -> Reply:
    """Offer days with free times as buttons (labels already in the resident's language).

    ``note`` comes first, e.g. "that time was just taken". With no day at all, say so and
    offer a person instead.
    """
    head = (note,) if note is not None else ()
    if not days:
        return Reply.of(
            *head,
            Text.of(N_("There are no free times to book right now.")),
            Text.of(N_("A person can still help you. Press the button, or try again later.")),
            buttons=((Button(Text.of(N_("Talk to a person")), PERSON_BUTTON),),),
        )
    rows: list[tuple[Button, ...]] = [
        (Button(Text.raw(label), day_data(offer.moving, day)),) for day, label in days
    ]
    if more_after is not None:
        rows.append((Button(Text.of(N_("Other days")), days_data(offer.moving, more_after)),))
    return Reply.of(*head, _who(offer), buttons=tuple(rows))


def choose_time(
    offer: Offer,
    day_label: str,
    times: Sequence[tuple[datetime, str, int]],
    *,
    note: Text | None = None,
) -> Reply:
    """Offer the free times of one day: ``(start, label, staff id or 0)`` each."""
    head = (note,) if note is not None else ()
    buttons = [
        Button(Text.raw(label), time_data(offer.moving, start, staff))
        for start, label, staff in times
    ]
    rows = [tuple(buttons[i : i + TIMES_PER_ROW]) for i in range(0, len(buttons), TIMES_PER_ROW)]
    rows.append((Button(Text.of(N_("Other days")), days_data(offer.moving, None)),))
    return Reply.of(
        *head, Text.of(N_("Free times on {day}. Pick one:"), day=day_label), buttons=tuple(rows)
    )


def choose_how(
    start: datetime, staff: int, when: str, *, name: str | None, preferred: str | None
) -> Reply:
    """Ask how to talk: phone, video or in person, the resident's usual way first."""
    ways = sorted(WAYS, key=lambda way: way != preferred)
    said = (
        Text.of(N_("{when} with {name}."), when=when, name=name)
        if name is not None
        else Text.of(N_("{when} with the reception team."), when=when)
    )
    return Reply.of(
        said,
        Text.of(N_("How do you want to talk?")),
        buttons=tuple(
            (Button(Text.of(WAY_NAMES[way]), how_data(start, staff, way)),) for way in ways
        ),
    )


def ask_phone(when: str) -> Reply:
    """Ask for the number to call; say it is deleted when the call has passed."""
    return Reply.of(
        Text.of(N_("Which number should we call on {when}?"), when=when),
        Text.of(N_("Write it here, for example 070 123 45 67.")),
        Text.of(N_("We delete the number when the call has passed.")),
    )


def not_a_phone() -> Reply:
    """The text was not a phone number: ask again, plainly."""
    return Reply.of(
        Text.of(N_("That does not look like a phone number.")),
        Text.of(N_("Write only the number, for example 070 123 45 67.")),
    )


TAKEN: Final = N_("Sorry, that time was just taken. Here are the free times now.")
PASSED: Final = N_("That time has already passed. Here are the times you can book now.")
TOO_LATE: Final = N_("That time is too soon to book now. Here are the times you can book.")
GONE: Final = N_("That time can no longer be booked. Here are the times you can book now.")


def note_for(reason: str) -> Text:
    """Why a pressed time cannot be booked, kindly: ``taken``, ``passed``, ``too-soon``..."""
    return Text.of({"taken": TAKEN, "passed": PASSED, "too-soon": TOO_LATE}.get(reason, GONE))


# --- resident: a booked call ----------------------------------------------------------------


@dataclass(frozen=True)
class CallView:
    """A booked call as the resident sees it (strings in their language)."""

    number: int
    when: str
    name: str
    how: str
    phone: str | None = None


def _details(call: CallView) -> list[Text]:
    lines = [
        Text.of(N_("When: {when}"), when=call.when),
        Text.of(N_("With: {name}"), name=call.name),
        Text.of(N_("How: {how}"), how=Text.of(WAY_NAMES.get(call.how, call.how))),
    ]
    if call.how == "phone" and call.phone:
        lines.append(Text.of(N_("{name} calls you on {phone}."), name=call.name, phone=call.phone))
    elif call.how == "video":
        lines.append(Text.of(N_("{name} sends you a link for the video call."), name=call.name))
    elif call.how == "in-person":
        lines.append(Text.of(N_("{name} tells you where you meet."), name=call.name))
    return lines


def change_buttons(number: int) -> tuple[tuple[Button, ...], ...]:
    """Move and Cancel for one booking."""
    return (
        (
            Button(Text.of(N_("Move")), booking_data(Action.MOVE, number)),
            Button(Text.of(N_("Cancel")), booking_data(Action.CANCEL, number)),
        ),
    )


def booked(call: CallView) -> Reply:
    """Confirm a booked call, with Move and Cancel."""
    return Reply.of(
        Text.of(N_("Your call is booked.")),
        *_details(call),
        Text.of(N_("Open the file below to add the call to your calendar.")),
        buttons=change_buttons(call.number),
    )


def moved(call: CallView, *, by: str | None = None) -> Reply:
    """Confirm a moved call (``by``: the staff member who moved it, if not the resident)."""
    head = (
        Text.of(N_("{name} has moved your call."), name=by)
        if by is not None
        else Text.of(N_("Your call is moved."))
    )
    return Reply.of(
        head,
        *_details(call),
        Text.of(N_("Open the new file below to update your calendar.")),
        buttons=change_buttons(call.number),
    )


def ask_cancel(call: CallView) -> Reply:
    """Ask once before cancelling."""
    return Reply.of(
        Text.of(N_("Do you want to cancel your call on {when}?"), when=call.when),
        buttons=(
            (
                Button(Text.of(N_("Yes, cancel it")), booking_data(Action.CANCEL_YES, call.number)),
                Button(Text.of(N_("No, keep it")), booking_data(Action.KEEP, call.number)),
            ),
        ),
    )


def cancelled(call: CallView, *, by: str | None = None) -> Reply:
    """Confirm a cancelled call (``by``: the staff member who cancelled it)."""
    head = (
        Text.of(N_("{name} had to cancel your call on {when}."), name=by, when=call.when)
        if by is not None
        else Text.of(N_("Your call on {when} is cancelled."), when=call.when)
    )
    return Reply.of(
        head,
        Text.of(N_("Open the file below to remove it from your calendar.")),
        Text.of(N_("You can book a new time with /book.")),
    )


def kept(call: CallView) -> Reply:
    """Confirm that nothing changed."""
    return Reply.of(
        Text.of(N_("Good. Your call on {when} stays booked."), when=call.when),
        buttons=change_buttons(call.number),
    )


def already_over() -> Text:
    """A button of a call that has passed or was cancelled (a short alert)."""
    return Text.of(N_("That call has already passed or was cancelled."))


def reminder(call: CallView, kind: str) -> Reply:
    """Remind the resident of a call, a day or an hour before, with Move and Cancel."""
    head = (
        Text.of(N_("Reminder: you have a call tomorrow."))
        if kind == DAY_BEFORE
        else Text.of(N_("Reminder: your call starts in one hour."))
    )
    return Reply.of(head, *_details(call), buttons=change_buttons(call.number))


def your_calls(calls: Sequence[CallView]) -> list[Reply]:
    """The resident's coming calls (/bookings), each with Move and Cancel."""
    if not calls:
        return [
            Reply.of(
                Text.of(N_("You have no booked calls.")),
                Text.of(N_("You can book a call with /book.")),
            )
        ]
    replies = [Reply.of(Text.of(N_("Your booked calls:")))]
    replies.extend(Reply.of(*_details(call), buttons=change_buttons(call.number)) for call in calls)
    return replies


def calendar_title(name: str) -> Text:
    """The calendar event's title."""
    return Text.of(N_("Call with {name}, social services"), name=name)


# --- staff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffView:
    """A booked call as the staff member sees it (strings in the staff language)."""

    number: int
    when: str
    how: str
    phone: str | None = None
    resident: str | None = None
    staff: str | None = None


def _staff_details(call: StaffView) -> list[Text]:
    lines = [
        Text.of(N_("Booking {number}: {when}"), number=str(call.number), when=call.when),
        Text.of(N_("How: {how}"), how=Text.of(WAY_NAMES.get(call.how, call.how))),
    ]
    if call.phone:
        lines.append(Text.of(N_("Phone: {phone}"), phone=call.phone))
    if call.resident:
        lines.append(Text.of(N_("Resident: {name}"), name=call.resident))
    if call.staff:
        lines.append(Text.of(N_("With: {name}"), name=call.staff))
    return lines


def staff_booked(call: StaffView) -> Reply:
    """Tell a staff member at once that a resident booked a call with them."""
    return Reply.of(
        Text.of(N_("A resident booked a call with you.")),
        *_staff_details(call),
        buttons=change_buttons(call.number),
    )


def staff_moved(call: StaffView, old_when: str) -> Reply:
    """Tell a staff member that a call with them was moved."""
    return Reply.of(
        Text.of(N_("A call was moved from {old}."), old=old_when),
        *_staff_details(call),
        buttons=change_buttons(call.number),
    )


def staff_cancelled(call: StaffView) -> Reply:
    """Tell a staff member that a call with them was cancelled."""
    return Reply.of(
        Text.of(
            N_("A call was cancelled: booking {number}, {when}."),
            number=str(call.number),
            when=call.when,
        ),
    )


def staff_reminder(call: StaffView, kind: str) -> Reply:
    """Remind a staff member of a call, a day or an hour before."""
    head = (
        Text.of(N_("Reminder: a call tomorrow."))
        if kind == DAY_BEFORE
        else Text.of(N_("Reminder: a call in one hour."))
    )
    return Reply.of(head, *_staff_details(call), buttons=change_buttons(call.number))


def staff_day(day: str, calls: Sequence[StaffView]) -> list[Reply]:
    """A staff member's calls of one day (/bookings), each with Move and Cancel."""
    if not calls:
        return [Reply.of(Text.of(N_("No booked calls on {day}."), day=day))]
    replies = [Reply.of(Text.of(N_("Booked calls on {day}:"), day=day))]
    replies.extend(
        Reply.of(*_staff_details(call), buttons=change_buttons(call.number)) for call in calls
    )
    return replies


def staff_ask_cancel(call: StaffView) -> Reply:
    """Ask a staff member once before cancelling a resident's call."""
    return Reply.of(
        Text.of(
            N_("Cancel booking {number} ({when})? The resident is told."),
            number=str(call.number),
            when=call.when,
        ),
        buttons=(
            (
                Button(Text.of(N_("Yes, cancel it")), booking_data(Action.CANCEL_YES, call.number)),
                Button(Text.of(N_("No, keep it")), booking_data(Action.KEEP, call.number)),
            ),
        ),
    )


def staff_done(text: str, call: StaffView) -> Reply:
    """Confirm a staff member's move or cancel (``text``: a msgid, moved or cancelled)."""
    return Reply.of(Text.of(text), *_staff_details(call))


STAFF_MOVED: Final = N_("Moved. The resident is told, with a new calendar file.")
STAFF_CANCELLED: Final = N_("Cancelled. The resident is told.")
STAFF_KEPT: Final = N_("Nothing changed.")
