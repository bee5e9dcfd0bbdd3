"""When a staff member can take calls: weekly hours, exceptions, meeting settings, holidays.

Plain values only. Weekly hours are written the way staff say them::

    mon-fri 09:00-12:00,13:00-16:00
    mon-thu 09:00-16:00; fri 09:00-12:00
    mon,wed 10:00-14:00; sat 10:00-12:00

Days are ``mon`` .. ``sun``: one day, a range going forward (``mon-fri``) or a list
(``mon,wed``, ``mon-wed,fri``); times run from ``00:00`` to ``24:00``. Groups are
separated by ``;``, and a day may appear in several groups as long as its times do not
overlap. :func:`WeeklyHours.parse` says which part is wrong and why;
:meth:`WeeklyHours.format` writes the same notation back, so ``parse(format(x)) == x``.

Times here are wall-clock minutes of a day, with no time zone: which instants they are
is decided in :mod:`flows.calls.times`, in the municipality's zone.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

import holidays as holiday_data

DAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY: Final = 24 * 60

# Midsummer Eve, Christmas Eve and New Year's Eve are not public holidays by Swedish law,
# so `holidays` files them under "de_facto"; municipal offices are closed then all the
# same. Finland has no such category: its eves are public holidays already.
HOLIDAY_CATEGORIES: Final = ("public", "de_facto")

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class HoursProblem(StrEnum):
    """What is wrong with written hours."""

    UNKNOWN_DAY = "unknown-day"
    BACKWARD_DAYS = "backward-days"
    REPEATED_DAY = "repeated-day"
    NO_DAYS = "no-days"
    NO_TIMES = "no-times"
    NOT_A_RANGE = "not-a-range"
    NOT_A_TIME = "not-a-time"
    END_NOT_AFTER_START = "end-not-after-start"
    OVERLAP = "overlap"


class HoursError(ValueError):
    """Written hours that cannot be read: names the part that is wrong, and why."""

    def __init__(self, problem: HoursProblem, part: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.part = part


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, order=True)
class TimeRange:
    """A span of one day in wall-clock minutes after midnight: ``start`` included, ``end`` not.

    ``end`` may be 1440 (24:00), the end of the day.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"not a span of one day: {self.start}-{self.end} minutes")

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """Read ``"09:00-12:00"``.

        Raises:
            HoursError: not written like 09:00-12:00, a time that does not exist on a
                clock (25:00, 09:75, 24:30), or an end that is not after the start.
        """
        part = text.strip()
        match = _RANGE.match(part)
        if not match:
            raise HoursError(
                HoursProblem.NOT_A_RANGE,
                part,
                f'"{part}" is not a time range: write it like 09:00-12:00',
            )
        start = _minute_of(f"{match[1]}:{match[2]}")
        end = _minute_of(f"{match[3]}:{match[4]}")
        if end <= start:
            how = "ends when it starts" if end == start else "ends before it starts"
            raise HoursError(HoursProblem.END_NOT_AFTER_START, part, f'"{part}" {how}')
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _minute_of(text: str) -> int:
    match = _TIME.match(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (99, 99)
    if hour > 24 or minute > 59 or (hour == 24 and minute > 0):
        raise HoursError(
            HoursProblem.NOT_A_TIME, text, f'"{text}" is not a time: use 00:00 to 24:00'
        )
    return hour * 60 + minute


def parse_ranges(text: str) -> tuple[TimeRange, ...]:
    """Read the times of one day, ``"09:00-12:00,13:00-16:00"``, in order.

    Raises:
        HoursError: a range cannot be read, or two ranges overlap.
    """
    if not text.strip():
        raise HoursError(HoursProblem.NO_TIMES, text, "no times given: write e.g. 09:00-12:00")
    parts = text.split(",")
    if not all(part.strip() for part in parts):
        raise HoursError(
            HoursProblem.NOT_A_RANGE,
            text.strip(),
            f'"{text.strip()}" has an empty time range: remove the extra comma',
        )
    ranges = sorted(TimeRange.parse(part) for part in parts)
    _refuse_overlaps(ranges, where="")
    return tuple(ranges)


def format_ranges(ranges: Iterable[TimeRange]) -> str:
    """Write the times of one day back as ``"09:00-12:00,13:00-16:00"``."""
    return ",".join(str(span) for span in ranges)


def _refuse_overlaps(ranges: Iterable[TimeRange], *, where: str) -> None:
    for earlier, later in itertools.pairwise(ranges):
        if later.start < earlier.end:
            raise HoursError(
                HoursProblem.OVERLAP,
                f"{earlier},{later}",
                f'{where}"{earlier}" and "{later}" overlap',
            )


def _day_index(name: str, group: str) -> int:
    try:
        return DAY_NAMES.index(name)
    except ValueError:
        known = ", ".join(DAY_NAMES[:-1]) + " or " + DAY_NAMES[-1]
        shown = name or "(nothing)"
        raise HoursError(
            HoursProblem.UNKNOWN_DAY, name, f'"{shown}" in "{group}" is not a day: use {known}'
        ) from None


def _parse_days(text: str, group: str) -> list[int]:
    days: list[int] = []
    for item in text.split(","):
        first, dash, last = (piece.strip() for piece in item.partition("-"))
        lo = _day_index(first, group)
        hi = _day_index(last, group) if dash else lo
        if hi < lo:
            raise HoursError(
                HoursProblem.BACKWARD_DAYS,
                item.strip(),
                f'"{item.strip()}" goes backwards: write days from mon to sun, e.g. mon-fri',
            )
        for day in range(lo, hi + 1):
            if day in days:
                raise HoursError(
                    HoursProblem.REPEATED_DAY,
                    DAY_NAMES[day],
                    f'{DAY_NAMES[day]} is named twice in "{text.strip()}"',
                )
            days.append(day)
    return days


def _day_spec(days: list[int]) -> str:
    """Write days as runs: three or more in a row as ``mon-wed``, otherwise listed."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[day] for day in run)
    return ",".join(parts)


@dataclass(frozen=True)
class WeeklyHours:
    """The hours of each weekday, Monday first: ordered ranges that do not overlap."""

    days: tuple[tuple[TimeRange, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != len(DAY_NAMES):
            raise ValueError("weekly hours need exactly seven days, Monday first")
        for name, ranges in zip(DAY_NAMES, self.days, strict=True):
            if list(ranges) != sorted(ranges):
                raise ValueError(f"{name}: ranges must be in order")
            _refuse_overlaps(ranges, where=f"{name}: ")

    @classmethod
    def parse(cls, text: str) -> WeeklyHours:
        """Read ``"mon-thu 09:00-16:00; fri 09:00-12:00"``; an empty text means no hours.

        Raises:
            HoursError: with the part that is wrong and why (an unknown day, a time like
                25:00, an end before its start, ranges that overlap).
        """
        days: list[list[TimeRange]] = [[] for _ in DAY_NAMES]
        for raw in text.split(";"):
            group = " ".join(raw.split())
            if not group:
                continue
            digit = re.search(r"\d", group)
            if digit is None:
                raise HoursError(
                    HoursProblem.NO_TIMES,
                    group,
                    f'"{group}" has no times: write e.g. {group} 09:00-12:00',
                )
            day_text, times = group[: digit.start()].strip(), group[digit.start() :]
            if not day_text:
                raise HoursError(
                    HoursProblem.NO_DAYS,
                    group,
                    f'"{group}" has no days: write e.g. mon-fri {group}',
                )
            ranges = parse_ranges(times)
            for day in _parse_days(day_text.lower(), group):
                days[day].extend(ranges)
        for name, day_ranges in zip(DAY_NAMES, days, strict=True):
            day_ranges.sort()
            _refuse_overlaps(day_ranges, where=f"{name}: ")
        return cls(tuple(tuple(day_ranges) for day_ranges in days))

    @classmethod
    def closed(cls) -> WeeklyHours:
        """Return hours with no time on any day."""
        return cls(((),) * len(DAY_NAMES))

    def on(self, weekday: int) -> tuple[TimeRange, ...]:
        """Return the ranges of a weekday (0 is Monday, as :meth:`date.weekday`)."""
        return self.days[weekday]

    def format(self) -> str:
        """Write the hours in the notation :meth:`parse` reads, days with equal times together."""
        groups: dict[tuple[TimeRange, ...], list[int]] = {}
        for day, ranges in enumerate(self.days):
            if ranges:
                groups.setdefault(ranges, []).append(day)
        return "; ".join(f"{_day_spec(days)} {format_ranges(r)}" for r, days in groups.items())

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class DayException:
    """One date that differs from the weekly hours: a day off (no ranges) or other hours.

    It wins over the weekly hours and over a public holiday, so it both closes a day
    (leave, a sick day) and opens one (working on a holiday).
    """

    day: date
    hours: tuple[TimeRange, ...] = ()

    def __post_init__(self) -> None:
        if list(self.hours) != sorted(self.hours):
            raise ValueError(f"{self.day}: ranges must be in order")
        _refuse_overlaps(self.hours, where=f"{self.day}: ")

    @classmethod
    def off(cls, day: date) -> DayException:
        """Return a day with no hours (leave, a sick day)."""
        return cls(day)

    @classmethod
    def open(cls, day: date, hours: str) -> DayException:
        """Return a day with its own hours, written ``"10:00-14:00"``.

        Raises:
            HoursError: the hours cannot be read.
        """
        return cls(day, parse_ranges(hours))


@dataclass(frozen=True)
class Availability:
    """Everything that decides when a resident may book a call with one staff member.

    Attributes:
        weekly: the usual hours.
        exceptions: dates that differ from them, at most one per date (kept in date order).
        meeting_minutes: how long a call is.
        buffer_minutes: the least free time between two calls.
        notice_minutes: how far ahead of now a call must start.
        window_days: how many days after today the last bookable day is.
        step_minutes: how far apart offered times are, from the start of each range;
            by default a meeting and a buffer, so calls booked at the offered times fill
            a range without gaps.
    """

    weekly: WeeklyHours
    exceptions: tuple[DayException, ...] = ()
    meeting_minutes: int = 30
    buffer_minutes: int = 10
    notice_minutes: int = 120
    window_days: int = 14
    step_minutes: int | None = None
    _by_day: Mapping[date, DayException] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.meeting_minutes <= 0:
            raise ValueError("a meeting must last at least a minute")
        if min(self.buffer_minutes, self.notice_minutes, self.window_days) < 0:
            raise ValueError("buffer, notice and window cannot be negative")
        if self.step_minutes is not None and self.step_minutes <= 0:
            raise ValueError("offered times must be at least a minute apart")
        by_day = {exception.day: exception for exception in self.exceptions}
        if len(by_day) != len(self.exceptions):
            raise ValueError("at most one exception per date")
        object.__setattr__(self, "exceptions", tuple(by_day[day] for day in sorted(by_day)))
        object.__setattr__(self, "_by_day", MappingProxyType(by_day))

    @property
    def step(self) -> int:
        """Minutes between offered times within a range."""
        return self.step_minutes or self.meeting_minutes + self.buffer_minutes

    def hours_on(self, day: date, holidays: Container[date]) -> tuple[TimeRange, ...]:
        """Return the ranges of a date: its exception, else none on a holiday, else weekly.

        ``holidays`` is :class:`PublicHolidays` or any set of dates.
        """
        exception = self._by_day.get(day)
        if exception is not None:
            return exception.hours
        if day in holidays:
            return ()
        return self.weekly.on(day.weekday())

    def with_exception(self, exception: DayException) -> Availability:
        """Return these settings with ``exception`` in place of any other for its date."""
        kept = tuple(e for e in self.exceptions if e.day != exception.day)
        return replace(self, exceptions=(*kept, exception))


@dataclass(frozen=True)
class PublicHolidays:
    """The public holidays of a country (ISO code, ``"SE"``, ``"FI"``), from ``holidays``.

    Includes the days ``holidays`` calls "de facto" holidays where the country has them
    (in Sweden: Midsummer Eve, Christmas Eve, New Year's Eve).
    """

    country: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", self.country.strip().upper())
        _calendar_of(self.country)

    def __contains__(self, day: object, /) -> bool:
        return isinstance(day, date) and day in _holidays_of(self.country, day.year, None)

    def name(self, day: date, language: str | None = None) -> str | None:
        """Return the holiday's name, or None on an ordinary day.

        In ``language`` where ``holidays`` has it ("sv", "fi", "en_US", "uk" ...), else in
        the country's own language; never in the machine's locale, which ``holidays``
        would otherwise read from the environment.
        """
        return _holidays_of(self.country, day.year, language).get(day)


@functools.cache
def _calendar_of(country: str) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """Return a country's holiday categories we count, its own language, and its languages."""
    try:
        calendar = holiday_data.country_holidays(country, years=())
    except NotImplementedError:
        raise ValueError(f"no public holidays known for country {country!r}") from None
    categories = tuple(c for c in HOLIDAY_CATEGORIES if c in calendar.supported_categories)
    return categories, str(calendar.default_language), tuple(calendar.supported_languages)


@functools.lru_cache(maxsize=64)
def _holidays_of(country: str, year: int, language: str | None) -> Mapping[date, str]:
    categories, own_language, languages = _calendar_of(country)
    calendar = holiday_data.country_holidays(
        country,
        years=year,
        categories=categories,
        language=language if language in languages else own_language,
    )
    return MappingProxyType(dict(calendar.items()))
