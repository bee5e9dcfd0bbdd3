"""A staff member's own hours for booked calls: ``/hours`` and ``nara staff hours``.

Plain values only. The shell reads the staff member's hours and days, passes today's
local date and the labels it formatted (dates, weekly hours, in the staff language),
and stores what these functions read from a command or a pressed button.

In the private chat, ``/hours`` alone shows the hours with buttons (call length, time
between calls, a day off, a sick day, working on a public holiday, a day back to the
usual hours). What has no good button is typed after the command, in the notation of
:mod:`flows.calls.availability`:

    /hours mon-fri 09:00-12:00,13:00-16:00      the weekly hours
    /hours 2026-12-24 10:00-14:00               one date with its own hours

A mistake is answered in the staff language, naming the part that is wrong. Button data
are read back through :func:`read_press`, which refuses anything it did not make.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from flows.calls.availability import (
    HoursError,
    HoursProblem,
    TimeRange,
    WeeklyHours,
    format_ranges,
    parse_ranges,
)
from flows.replies import N_, Button, Reply, Text

HOURS_BUTTON: Final = "hours"

# What staff may set, and the bounds the command line and the buttons keep to.
MEETING_LIMITS: Final = (5, 240)
BUFFER_LIMITS: Final = (0, 120)
NOTICE_LIMITS: Final = (0, 7 * 24 * 60)
WINDOW_LIMITS: Final = (1, 90)
MEETING_CHOICES: Final = (15, 20, 30, 45, 60, 90)
BUFFER_CHOICES: Final = (0, 5, 10, 15, 20, 30)

# Days offered at once for a day off (a week), how far ahead holidays are offered to
# open, and how far ahead a day can be chosen at all.
DAYS_PER_PAGE: Final = 7
HOLIDAYS_AHEAD: Final = timedelta(days=92)
FARTHEST_DAY: Final = timedelta(days=366)
HOLIDAYS_SHOWN: Final = 3
# Coming days that differ, shown (and offered back to the usual hours) at once: the
# picture stays one message, and a keyboard far below Telegram's 100 buttons.
DAYS_SHOWN: Final = 20
# The longest weekly hours and one day's hours that are kept (as the columns allow).
WEEKLY_LENGTH: Final = 400
DAY_LENGTH: Final = 200

EXAMPLE: Final = "mon-fri 09:00-12:00,13:00-16:00"
DAY_EXAMPLE: Final = "2026-12-24 10:00-14:00"

# Button actions: a menu ("meet"), a choice ("meet:30"), a page of days ("offp:DATE").
SHOW: Final = "show"
MEETING, BUFFER = "meet", "buf"
DAY_OFF, DAY_OFF_PAGE = "off", "offp"
SICK, SICK_CONFIRMED = "sick", "sickyes"
OPEN_HOLIDAY, USUAL = "open", "usual"
_MENUS: Final = (SHOW, MEETING, BUFFER, DAY_OFF, SICK, OPEN_HOLIDAY, USUAL)
_WITH_MINUTES: Final = {MEETING: MEETING_CHOICES, BUFFER: BUFFER_CHOICES}
_WITH_DATE: Final = (DAY_OFF, DAY_OFF_PAGE, SICK, SICK_CONFIRMED, OPEN_HOLIDAY, USUAL)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- reading what staff type and press -----------------------------------------------------


@dataclass(frozen=True)
class SetWeekly:
    """New weekly hours, typed after /hours."""

    weekly: WeeklyHours


@dataclass(frozen=True)
class OpenDay:
    """One date with its own hours, typed after /hours (e.g. working on a holiday)."""

    day: date
    hours: tuple[TimeRange, ...]


class TooLong(ValueError):
    """Hours with more time spans than can be kept (the columns' lengths)."""

    def __init__(self, part: str) -> None:
        super().__init__("too many time spans to keep")
        self.part = part


class DateError(ValueError):
    """A date that cannot be read: names the part that is wrong."""

    def __init__(self, part: str) -> None:
        super().__init__(f'"{part}" is not a date: write it like 2026-12-24')
        self.part = part


def read_date(text: str) -> date:
    """Read a date written ``2026-12-24``.

    Raises:
        DateError: it is not written so, or no such date exists (2026-02-30).
    """
    part = text.strip()
    try:
        if not _ISO_DATE.match(part):
            raise ValueError(part)
        return date.fromisoformat(part)
    except ValueError:
        raise DateError(part) from None


def read_typed(text: str) -> SetWeekly | OpenDay:
    """Read what a staff member wrote after /hours: weekly hours, or a date and its hours.

    Raises:
        HoursError: the hours cannot be read (the part that is wrong, and why).
        DateError: it starts like a date that cannot be read.
        TooLong: more time spans than can be kept.
    """
    first, _, rest = text.strip().partition(" ")
    if first[:1].isdigit() and "-" in first and ":" not in first:
        day = read_date(first)
        if not rest.strip():
            raise HoursError(HoursProblem.NO_TIMES, first, f'"{first}" has no times')
        hours = parse_ranges(rest)
        if len(format_ranges(hours)) > DAY_LENGTH:
            raise TooLong(rest.strip())
        return OpenDay(day, hours)
    # On a phone, a new line is the natural way to start the next group of days.
    weekly = WeeklyHours.parse(text.replace("\n", ";"))
    if len(weekly.format()) > WEEKLY_LENGTH:
        raise TooLong(text.strip())
    return SetWeekly(weekly)


@dataclass(frozen=True)
class HoursPress:
    """A pressed /hours button: what it does, and its number or date when it has one."""

    action: str
    minutes: int | None = None
    day: date | None = None


def read_press(data: str) -> HoursPress | None:
    """Return the /hours button pressed, or None for anything else (old or forged data)."""
    parts = data.split(":")
    if len(parts) not in (2, 3) or parts[0] != HOURS_BUTTON:
        return None
    action = parts[1]
    if len(parts) == 2:
        return HoursPress(action) if action in _MENUS else None
    value = parts[2]
    if action in _WITH_MINUTES:
        if value.isdigit() and len(value) <= 3 and int(value) in _WITH_MINUTES[action]:
            return HoursPress(action, minutes=int(value))
        return None
    if action in _WITH_DATE:
        try:
            return HoursPress(action, day=read_date(value))
        except DateError:
            return None
    return None


def _data(action: str, value: int | date | None = None) -> str:
    if value is None:
        return f"{HOURS_BUTTON}:{action}"
    shown = value.isoformat() if isinstance(value, date) else str(value)
    return f"{HOURS_BUTTON}:{action}:{shown}"


def rule_problem(name: str, value: int) -> str | None:
    """Say what is wrong with a rule's value for the command line, or None when it is fine.

    ``name`` is one of ``meeting_minutes``, ``buffer_minutes``, ``notice_minutes``,
    ``window_days``.
    """
    low, high = {
        "meeting_minutes": MEETING_LIMITS,
        "buffer_minutes": BUFFER_LIMITS,
        "notice_minutes": NOTICE_LIMITS,
        "window_days": WINDOW_LIMITS,
    }[name]
    if low <= value <= high:
        return None
    return f"must be {low} to {high}"


def offered_days(
    today: date, has_hours: Sequence[date], *, start: date | None = None
) -> tuple[tuple[date, ...], date | None]:
    """Return a page of dates to take off, and the first date of the next page (or None).

    ``has_hours`` are the coming dates (in order, from ``today``) on which the staff
    member has hours now; a day already off has none and is not offered again.
    """
    start = max(start or today, today)
    later = [day for day in has_hours if day >= start]
    shown = tuple(later[:DAYS_PER_PAGE])
    more = later[DAYS_PER_PAGE] if len(later) > DAYS_PER_PAGE else None
    return shown, more


def refuse_day(day: date, today: date) -> Reply | None:
    """Refuse a date that has passed or lies too far ahead (an old or forged button)."""
    if day < today:
        return Reply.of(Text.of(N_("That day has passed.")))
    if day > today + FARTHEST_DAY:
        return Reply.of(Text.of(N_("That day is more than a year ahead.")))
    return None


# --- what staff read ----------------------------------------------------------------------


@dataclass(frozen=True)
class DayLine:
    """A coming date that differs from the weekly hours, as the staff member sees it."""

    label: str
    kind: str
    hours: str = ""


def _minutes(value: int) -> Text:
    # TRANSLATORS: a number of minutes, e.g. "30 min"; the number may be any, even 0 or 1.
    return Text.of(N_("{minutes} min"), minutes=str(value))


def _ahead(minutes: int) -> Text:
    if minutes and minutes % 60 == 0:
        # TRANSLATORS: a number of hours, e.g. "2 h"; the number may be any, even 1.
        return Text.of(N_("{hours} h"), hours=str(minutes // 60))
    return _minutes(minutes)


def overview(
    *,
    weekly: str,
    typed: str,
    meeting: int,
    buffer: int,
    notice: int,
    window: int,
    days: Sequence[DayLine],
    holidays: Sequence[str],
) -> Reply:
    """Show a staff member their hours, with buttons to change them.

    Args:
        weekly: the weekly hours as the staff language writes them ("" when none).
        typed: the same in the notation /hours reads ("" when none).
        meeting: how long a call is, in minutes.
        buffer: the least time between calls, in minutes.
        notice: how far ahead of now a call must start, in minutes.
        window: how many days ahead calls can be booked.
        days: coming dates that differ from the weekly hours.
        holidays: the next public holidays that are days off, as labels.
    """
    paragraphs = [Text.of(N_("<b>Your hours for booked calls</b>"))]
    if weekly:
        paragraphs.append(Text.raw(weekly))
    else:
        paragraphs.append(
            Text.of(N_("You have no weekly hours yet, so no one can book a call with you."))
        )
    paragraphs.append(
        Text.of(
            # TRANSLATORS: {meeting}, {buffer} and {notice} are like "30 min" or "2 h";
            # {window} is a number of days, usually 14.
            N_(
                "Calls last {meeting}, with {buffer} between them. Residents can book from {notice} ahead up to {window} days ahead."  # noqa: E501
            ),
            meeting=_minutes(meeting),
            buffer=_minutes(buffer),
            notice=_ahead(notice),
            window=str(window),
        )
    )
    if days:
        paragraphs.append(Text.of(N_("Days that differ:")))
        paragraphs.extend(day_line(line) for line in days)
    if holidays:
        paragraphs.append(
            Text.of(
                N_("Public holidays are days off unless you work on them. Next: {holidays}."),
                holidays="; ".join(holidays),
            )
        )
    paragraphs.append(Text.of(N_("To change your weekly hours, write /hours and your hours:")))
    paragraphs.append(Text.raw(f"/hours {typed or EXAMPLE}"))
    rows: list[tuple[Button, ...]] = [
        (
            Button(Text.of(N_("Call length")), _data(MEETING)),
            Button(Text.of(N_("Time between calls")), _data(BUFFER)),
        ),
        (
            Button(Text.of(N_("Day off")), _data(DAY_OFF)),
            Button(Text.of(N_("Sick day")), _data(SICK)),
        ),
    ]
    last = [Button(Text.of(N_("Work on a holiday")), _data(OPEN_HOLIDAY))]
    if days:
        last.append(Button(Text.of(N_("Usual hours again")), _data(USUAL)))
    rows.append(tuple(last))
    return Reply.of(*paragraphs, buttons=tuple(rows))


def day_line(line: DayLine) -> Text:
    """One coming date that differs: a day off, a sick day, or its own hours."""
    if line.kind == "sick":
        return Text.of(N_("{day}: sick"), day=line.label)
    if line.kind == "open":
        return Text.of(N_("{day}: open {hours}"), day=line.label, hours=line.hours)
    return Text.of(N_("{day}: day off"), day=line.label)


def _back() -> Button:
    return Button(Text.of(N_("‹ Back")), _data(SHOW))


def choose_minutes(action: str, current: int) -> Reply:
    """Ask for a call length or a time between calls, with the choices as buttons."""
    choices = _WITH_MINUTES[action]
    question = (
        Text.of(N_("How long is a call?"))
        if action == MEETING
        else Text.of(N_("How much time do you want between calls?"))
    )
    buttons = tuple(
        Button(
            Text.of(N_("✓ {minutes} min"), minutes=str(value))
            if value == current
            else _minutes(value),
            _data(action, value),
        )
        for value in choices
    )
    return Reply.of(question, buttons=(buttons[:3], buttons[3:], (_back(),)))


def minutes_set(action: str, value: int) -> Reply:
    """Confirm a new call length or time between calls."""
    if action == MEETING:
        return Reply.of(Text.of(N_("Calls now last {meeting}."), meeting=_minutes(value)))
    return Reply.of(Text.of(N_("Now {buffer} between calls."), buffer=_minutes(value)))


def choose_day_off(days: Sequence[tuple[date, str]], more: date | None) -> Reply:
    """Ask which day to take off: the coming days with hours, a week at a time."""
    if not days:
        return Reply.of(
            Text.of(N_("You have no working days to take off. Set your weekly hours first.")),
            buttons=((_back(),),),
        )
    buttons = [Button(Text.raw(label), _data(DAY_OFF, day)) for day, label in days]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    last = [_back()]
    if more is not None:
        last.append(Button(Text.of(N_("Later days ›")), _data(DAY_OFF_PAGE, more)))
    rows.append(tuple(last))
    return Reply.of(
        Text.of(N_("Which day are you off? No one can book a call with you then.")),
        buttons=tuple(rows),
    )


def day_off_set(label: str, *, calls_booked: bool) -> Reply:
    """Confirm a day off, and say that calls booked before stay booked."""
    paragraphs = [
        Text.of(N_("{day} is a day off. No one can book a call with you then."), day=label)
    ]
    if calls_booked:
        paragraphs.append(
            Text.of(
                N_("Calls already booked that day stay booked. If you are sick, choose Sick day.")
            )
        )
    return Reply.of(*paragraphs)


def choose_sick_day(today: tuple[date, str], tomorrow: tuple[date, str]) -> Reply:
    """Ask which day the staff member is sick: today or tomorrow."""
    return Reply.of(
        Text.of(N_("Which day are you sick?")),
        buttons=(
            (
                Button(Text.of(N_("Today, {day}"), day=today[1]), _data(SICK, today[0])),
                Button(Text.of(N_("Tomorrow, {day}"), day=tomorrow[1]), _data(SICK, tomorrow[0])),
            ),
            (_back(),),
        ),
    )


def confirm_sick_day(day: date, label: str) -> Reply:
    """Ask once before a sick day: it cancels that day's calls and tells each resident."""
    return Reply.of(
        Text.of(N_("Sick on {day}?"), day=label),
        Text.of(N_("Your calls booked that day are cancelled, and each resident gets a message.")),
        buttons=(
            (
                Button(Text.of(N_("Yes, I am sick")), _data(SICK_CONFIRMED, day)),
                Button(Text.of(N_("No")), _data(SHOW)),
            ),
        ),
    )


def sick_day_set(label: str, *, cancelled: int | None) -> Reply:
    """Confirm a sick day, and how many calls were cancelled (None: not known here)."""
    paragraphs = [
        Text.of(N_("{day} is a sick day. No one can book a call with you then."), day=label)
    ]
    if cancelled is not None:
        paragraphs.append(
            Text.of(N_("Calls cancelled, residents told: {count}."), count=str(cancelled))
        )
    paragraphs.append(Text.of(N_("Get well soon.")))
    return Reply.of(*paragraphs)


def choose_holiday(holidays: Sequence[tuple[date, str]]) -> Reply:
    """Ask which public holiday to work on (with the usual hours of that weekday)."""
    typed = Text.of(N_("Other hours on one day: write /hours, the date and the hours, like this:"))
    example = Text.raw(f"/hours {DAY_EXAMPLE}")
    if not holidays:
        return Reply.of(
            Text.of(N_("No public holiday in the next three months falls on your working days.")),
            typed,
            example,
            buttons=((_back(),),),
        )
    buttons = [Button(Text.raw(label), _data(OPEN_HOLIDAY, day)) for day, label in holidays]
    return Reply.of(
        Text.of(N_("Which holiday do you work? You get your usual hours of that weekday.")),
        typed,
        example,
        buttons=(*((button,) for button in buttons), (_back(),)),
    )


def day_opened(label: str, hours: Sequence[TimeRange]) -> Reply:
    """Confirm a date with its own hours."""
    return Reply.of(
        Text.of(
            N_("On {day} you take calls {hours}. Residents can book them."),
            day=label,
            hours=format_ranges(hours),
        )
    )


def choose_usual(days: Sequence[tuple[date, str]]) -> Reply:
    """Ask which coming date goes back to the usual hours."""
    buttons = [Button(Text.raw(label), _data(USUAL, day)) for day, label in days]
    return Reply.of(
        Text.of(N_("Which day goes back to your usual hours?")),
        buttons=(*((button,) for button in buttons), (_back(),)),
    )


def usual_again(label: str) -> Reply:
    """Confirm that a date follows the weekly hours again (a holiday is a day off again)."""
    return Reply.of(Text.of(N_("{day} follows your usual hours again."), day=label))


def weekly_set(weekly: str) -> Reply:
    """Confirm new weekly hours, as the staff language writes them."""
    if not weekly:
        return Reply.of(
            Text.of(N_("You have no weekly hours now. No one can book a call with you."))
        )
    return Reply.of(Text.of(N_("Your weekly hours are now:")), Text.raw(weekly))


# What is wrong with typed hours, by problem; {part} is what the staff member wrote.
PROBLEMS: Final = {
    # TRANSLATORS: {part} is what was typed. Keep mon, tue, wed, thu, fri, sat, sun as written:
    # staff type these short English names.
    HoursProblem.UNKNOWN_DAY: N_(
        "“{part}” is not a day. Write days as mon, tue, wed, thu, fri, sat and sun."
    ),
    # TRANSLATORS: {part} is what was typed, e.g. "fri-mon". Keep "mon-fri" as written.
    HoursProblem.BACKWARD_DAYS: N_(
        "“{part}” goes backwards. Write days from Monday to Sunday, like mon-fri."
    ),
    # TRANSLATORS: {part} is a day name as typed, e.g. "wed".
    HoursProblem.REPEATED_DAY: N_("“{part}” is written twice."),
    # TRANSLATORS: {part} is what was typed. Keep "mon-fri" as written.
    HoursProblem.NO_DAYS: N_("“{part}” has no days. Write the days first, like mon-fri."),
    # TRANSLATORS: {part} is what was typed. Keep "09:00-12:00" as written.
    HoursProblem.NO_TIMES: N_(
        "“{part}” has no times. Write times after the days, like 09:00-12:00."
    ),
    # TRANSLATORS: {part} is what was typed. Keep "09:00-12:00" as written.
    HoursProblem.NOT_A_RANGE: N_("“{part}” is not a time span. Write it like 09:00-12:00."),
    # TRANSLATORS: {part} is what was typed, e.g. "25:00". Keep 00:00 and 24:00 as written.
    HoursProblem.NOT_A_TIME: N_("“{part}” is not a time. Use 00:00 to 24:00."),
    # TRANSLATORS: {part} is a time span as typed, e.g. "12:00-09:00".
    HoursProblem.END_NOT_AFTER_START: N_("“{part}” must end after it starts."),
    # TRANSLATORS: {part} is two time spans as typed, e.g. "09:00-12:00,11:00-13:00".
    HoursProblem.OVERLAP: N_("The times {part} overlap."),
}


def not_changed(error: HoursError | DateError | TooLong) -> Reply:
    """Say the hours were not changed, which part is wrong and why, and show an example."""
    if isinstance(error, TooLong):
        problem = Text.of(N_("That is more time spans than I can keep. Write fewer."))
        example = f"/hours {EXAMPLE}"
    elif isinstance(error, DateError):
        problem = Text.of(
            # TRANSLATORS: {part} is what was typed. Keep "2026-12-24" as written.
            N_("“{part}” is not a date. Write it like 2026-12-24."),
            part=error.part,
        )
        example = f"/hours {DAY_EXAMPLE}"
    else:
        problem = Text.of(PROBLEMS[error.problem], part=error.part)
        example = f"/hours {EXAMPLE}"
    return Reply.of(
        Text.of(N_("Your hours are not changed.")),
        problem,
        Text.of(N_("Write it like this:")),
        Text.raw(example),
    )
