"""Which times a resident can book with a staff member, or with any of a reception team.

Plain values only: the shell reads the staff member's
:class:`~flows.calls.availability.Availability` and bookings, passes ``now`` from its
clock, and offers what these functions return.

Rules, in the municipality's time zone:

- Offered times lie on a grid of wall-clock times: every ``Availability.step`` minutes
  from the start of each range (by default a meeting plus a buffer, so 09:00, 09:40,
  10:20 ... for 30 + 10 minutes), and the whole call fits in the range. The grid is in
  wall-clock time, so a 09:00 slot is at 09:00 local on both sides of a daylight-saving
  change. A time that does not exist (spring, e.g. 02:20 in Stockholm) is skipped; a time
  that exists twice (autumn) is offered once, at its first occurrence.
- Never offered: a time that has passed, one within the minimum notice, one after the
  window's last day, or one whose call would come nearer to an existing booking than
  the buffer (before or after it).
- Arithmetic is done on instants (POSIX seconds): aware datetimes sharing one ``tzinfo``
  compare and subtract as wall-clock times, which is wrong across a change.

A resident moving a call passes the staff member's bookings without the one being moved.
:func:`is_bookable` re-checks a pressed time before it is booked; the database still
decides who wins when two residents confirm the same time at once.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Container, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from flows.calls.availability import MINUTES_PER_DAY, Availability

# "Other days" shows this many days at a time: a row of buttons each, and the page fits
# a phone's screen with the times still to come.
DAYS_PER_PAGE: Final = 5


class BookedTime(Protocol):
    """A booked call as this module needs it: when it starts (aware) and how long it lasts."""

    @property
    def start(self) -> datetime:
        """When the call starts (an aware datetime)."""
        ...

    @property
    def minutes(self) -> int:
        """How long the call lasts."""
        ...


@dataclass(frozen=True)
class Booking:
    """A booked call with its start (aware) and length."""

    start: datetime
    minutes: int


Booked = TypeVar("Booked", bound=BookedTime)
StaffKey = TypeVar("StaffKey", bound=Hashable)


class Bookability(StrEnum):
    """Whether a time can be booked now, or why not. Only ``BOOKABLE`` is true."""

    BOOKABLE = "bookable"
    PASSED = "passed"
    TOO_SOON = "too-soon"
    TOO_FAR = "too-far"
    OUTSIDE_HOURS = "outside-hours"
    TAKEN = "taken"

    def __bool__(self) -> bool:
        return self is Bookability.BOOKABLE


@dataclass(frozen=True)
class TeamSlot(Generic[StaffKey]):
    """A time at least one member of a team is free, and who (in the team's order)."""

    start: datetime
    staff: tuple[StaffKey, ...]


@dataclass(frozen=True)
class DayPage:
    """Local dates with free times for "days first, then times" buttons.

    Attributes:
        days: the dates to offer, in order.
        more_after: pass as ``after`` to get the next page ("other days"); None when no
            later date in the window has a free time.
    """

    days: tuple[date, ...]
    more_after: date | None


def free_times(
    availability: Availability,
    bookings: Iterable[BookedTime],
    now: datetime,
    tz: ZoneInfo,
    holidays: Container[date],
    *,
    on: date | None = None,
) -> list[datetime]:
    """Return the times a resident can book, in order, as aware datetimes in ``tz``.

    Args:
        availability: the staff member's hours and settings.
        bookings: their calls already booked (any time zone).
        now: the current instant (aware).
        tz: the municipality's time zone.
        holidays: days off unless an exception opens them (:class:`PublicHolidays`).
        on: only this local date.
    """
    found = _free_instants(availability, bookings, _seconds(now), tz, holidays, on)
    return [datetime.fromtimestamp(start, tz) for start in found]


def days_with_free_times(
    availability: Availability,
    bookings: Iterable[BookedTime],
    now: datetime,
    tz: ZoneInfo,
    holidays: Container[date],
    *,
    after: date | None = None,
    limit: int = DAYS_PER_PAGE,
) -> DayPage:
    """Return up to ``limit`` local dates after ``after`` (or from today) with a free time."""
    times = free_times(availability, bookings, now, tz, holidays)
    return page_of_days(times, after=after, limit=limit)


def page_of_days(times: Iterable[datetime], *, after: date | None, limit: int) -> DayPage:
    """Group local times (as :func:`free_times` returns them) into a page of dates.

    For a team, pass the starts of :func:`team_free_times`.
    """
    if limit < 1:
        raise ValueError("a page shows at least one day")
    days = sorted({t.date() for t in times if after is None or t.date() > after})
    shown = tuple(days[:limit])
    return DayPage(shown, shown[-1] if len(days) > limit else None)


def team_free_times(
    team: Mapping[StaffKey, Availability],
    bookings: Mapping[StaffKey, Iterable[BookedTime]],
    now: datetime,
    tz: ZoneInfo,
    holidays: Container[date],
    *,
    on: date | None = None,
) -> list[TeamSlot[StaffKey]]:
    """Return every time at least one of ``team`` is free, with who is free then.

    Each member's own settings and bookings decide (members without bookings in
    ``bookings`` have none). Pick one with :func:`least_booked`.
    """
    now_seconds = _seconds(now)
    free: dict[float, list[StaffKey]] = {}
    for member, availability in team.items():
        booked = bookings.get(member, ())
        for start in _free_instants(availability, booked, now_seconds, tz, holidays, on):
            free.setdefault(start, []).append(member)
    return [
        TeamSlot(datetime.fromtimestamp(start, tz), tuple(free[start])) for start in sorted(free)
    ]


def least_booked(
    slot: TeamSlot[StaffKey], bookings: Mapping[StaffKey, Sequence[BookedTime]]
) -> StaffKey:
    """Return the member free at ``slot`` with the fewest ``bookings``; ties by team order.

    Pass the bookings that should count (e.g. the coming two weeks'): each booking makes
    a member less likely to be picked next, so ties share out.
    """
    return min(slot.staff, key=lambda member: len(bookings.get(member, ())))


def is_bookable(
    slot: datetime,
    availability: Availability,
    bookings: Iterable[BookedTime],
    now: datetime,
    tz: ZoneInfo,
    holidays: Container[date],
) -> Bookability:
    """Re-check a pressed time at confirm time: it may have passed or been taken since.

    The time need not lie on today's grid (a time offered before the settings changed
    stays bookable if it still fits); everything else is as in :func:`free_times`, so a
    time :func:`free_times` offers is bookable.
    """
    start, now_seconds = _seconds(slot), _seconds(now)
    if start <= now_seconds:
        return Bookability.PASSED
    if start < now_seconds + availability.notice_minutes * 60:
        return Bookability.TOO_SOON
    local_day = slot.astimezone(tz).date()
    if local_day > now.astimezone(tz).date() + timedelta(days=availability.window_days):
        return Bookability.TOO_FAR
    end = start + availability.meeting_minutes * 60
    if not any(
        _wall_instant(local_day, span.start, tz) <= start
        and end <= _wall_instant(local_day, span.end, tz)
        for span in availability.hours_on(local_day, holidays)
    ):
        return Bookability.OUTSIDE_HOURS
    if _Blocked(bookings, availability.buffer_minutes).overlaps(start, end):
        return Bookability.TAKEN
    return Bookability.BOOKABLE


def bookings_on(day: date, bookings: Iterable[Booked], tz: ZoneInfo) -> list[Booked]:
    """Return the bookings that touch local date ``day``, in order (e.g. on a sick day).

    The caller cancels them and tells each resident; a call that runs over midnight
    counts on both dates.
    """
    begins = _wall_instant(day, 0, tz)
    ends = _wall_instant(day, MINUTES_PER_DAY, tz)
    touching = [
        (start, booking)
        for booking in bookings
        if (start := _seconds(booking.start)) < ends and begins < start + booking.minutes * 60
    ]
    touching.sort(key=lambda pair: pair[0])
    return [booking for _, booking in touching]


def _free_instants(
    availability: Availability,
    bookings: Iterable[BookedTime],
    now: float,
    tz: ZoneInfo,
    holidays: Container[date],
    on: date | None,
) -> list[float]:
    """Return the free starts as POSIX seconds, in order."""
    blocked = _Blocked(bookings, availability.buffer_minutes)
    meeting = availability.meeting_minutes * 60
    earliest = now + availability.notice_minutes * 60
    today = datetime.fromtimestamp(now, tz).date()
    last = today + timedelta(days=availability.window_days)
    first = today
    if on is not None:
        first, last = max(first, on), min(last, on)
    step = availability.step
    found: list[float] = []
    day = first
    while day <= last:
        midnight = _steady_midnight(day, tz)
        for span in availability.hours_on(day, holidays):
            ends = _wall_instant(day, span.end, tz)
            for minute in range(span.start, span.end, step):
                start = (
                    _existing_instant(day, minute, tz)
                    if midnight is None
                    else midnight + minute * 60
                )
                if start is None:
                    continue
                if start + meeting > ends:
                    break
                if (
                    start > now
                    and start >= earliest
                    and not blocked.overlaps(start, start + meeting)
                ):
                    found.append(start)
        day += timedelta(days=1)
    return found


class _Blocked:
    """Booked calls widened by the buffer on each side, merged, for quick overlap checks.

    In POSIX seconds: comparing floats is many times cheaper than aware datetimes, and a
    team's free times compare every member's bookings.
    """

    def __init__(self, bookings: Iterable[BookedTime], buffer_minutes: int) -> None:
        buffer = buffer_minutes * 60
        spans = sorted(
            (start - buffer, start + booking.minutes * 60 + buffer)
            for booking in bookings
            for start in (_seconds(booking.start),)
        )
        self.starts: list[float] = []
        self.ends: list[float] = []
        for start, end in spans:
            if self.ends and start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def overlaps(self, start: float, end: float) -> bool:
        """Tell whether a call from ``start`` to ``end`` comes too near a booked one."""
        # Merged spans are disjoint, so only the last one starting before `end` can reach.
        index = bisect.bisect_left(self.starts, end) - 1
        return index >= 0 and self.ends[index] > start


def _seconds(moment: datetime) -> float:
    """Return an aware datetime as POSIX seconds (a naive one would be read as local time)."""
    if moment.tzinfo is None:
        raise ValueError("times must be aware (carry a time zone)")
    return moment.timestamp()


def _naive(day: date, minute: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def _existing_instant(day: date, minute: int, tz: ZoneInfo) -> float | None:
    """Return the POSIX seconds of a wall-clock time, its first if it occurs twice.

    None when the time does not exist (the hour skipped in spring).
    """
    midnight = _steady_midnight(day, tz)
    if midnight is not None:
        return midnight + minute * 60
    wall = _naive(day, minute)
    instant = wall.replace(tzinfo=tz).timestamp()
    if datetime.fromtimestamp(instant, tz).replace(tzinfo=None) != wall:
        return None
    return instant


@functools.lru_cache(maxsize=4096)
def _steady_midnight(day: date, tz: ZoneInfo) -> float | None:
    """Return the POSIX seconds of the date's midnight if the clocks do not change on it.

    None on a date with a change. A date of exactly 24 hours has none (two changes that
    cancel out within one date would pass for none; no zone has them). This spares the
    zone look-ups that make up most of the work for a team.
    """
    begins = _naive(day, 0).replace(tzinfo=tz).timestamp()
    ends = _naive(day, MINUTES_PER_DAY).replace(tzinfo=tz).timestamp()
    return begins if ends - begins == 24 * 60 * 60 else None


def _wall_instant(day: date, minute: int, tz: ZoneInfo) -> float:
    """Return the first POSIX second whose wall-clock time is at or after ``minute`` of ``day``.

    That is the time itself (its first occurrence when it occurs twice) or, for a time
    skipped in spring, the moment the clocks jump: where a range starts or ends.
    """
    found = _existing_instant(day, minute, tz)
    if found is not None:
        return found
    wall = _naive(day, minute)
    # In a gap, fold=1 reads the time with the offset after the jump (too early) and
    # fold=0 with the one before (too late); the jump lies between: bisect, to the second.
    low = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    high = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return float(high)
