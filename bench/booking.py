"""Free times for booking a call: `.venv/bin/python bench/booking.py`.

Prints p50/p99 milliseconds of the pure computations (flows/booking_times.py) for one
contact and for a reception team of 50, over a 14-day window, Stockholm time and Swedish
holidays, at moments spread over 2026-11-30 .. 2026-12-18 (so Christmas falls inside
the window). The staff are made up but realistic: four kinds of weekly hours, part-timers,
30-60 minute calls, a week of leave or a sick day for some, and 40-85% of each one's
grid booked (a week back included), plus a few calls staff put in off the grid; bookings
in UTC, as the database returns them. Each figure is the best of three runs.

Targets: p99 < 2 ms for one contact (each press of "other days" or a day computes it),
< 50 ms for a team of 50.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.availability import (  # noqa: E402
    Availability,
    DayException,
    PublicHolidays,
    WeeklyHours,
)
from flows.booking_times import (  # noqa: E402
    Booking,
    days_with_free_times,
    free_times,
    is_bookable,
    team_free_times,
)

TZ = ZoneInfo("Europe/Stockholm")
HOLIDAYS = PublicHolidays("SE")
T = TypeVar("T")
TEAM_SIZE = 50
FIRST_DAY = date(2026, 11, 30)
QUERY_DAYS = 19
TARGET_P99_MS = {"one": 2.0, "team": 50.0}
HOURS = (
    "mon-thu 08:30-12:00,13:00-16:00; fri 08:30-12:00",
    "mon-fri 09:00-12:00,13:00-16:00",
    "mon,wed,thu 08:00-11:30,12:30-16:30; tue 12:00-19:00",
    "tue-fri 09:00-15:00",
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def made_up_staff(chooser: random.Random) -> tuple[Availability, list[Booking]]:
    availability = Availability(
        WeeklyHours.parse(chooser.choice(HOURS)),
        meeting_minutes=chooser.choice((30, 30, 30, 45, 60)),
        buffer_minutes=chooser.choice((10, 10, 15)),
    )
    if chooser.random() < 0.2:
        leave = FIRST_DAY + timedelta(days=chooser.randrange(30))
        for offset in range(7):
            availability = availability.with_exception(DayException.off(leave + timedelta(offset)))
    if chooser.random() < 0.1:
        sick = FIRST_DAY + timedelta(days=chooser.randrange(30))
        availability = availability.with_exception(DayException.off(sick))
    # Book the grid as residents would have, from a week before the first query on.
    before = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    long_window = Availability(
        availability.weekly,
        availability.exceptions,
        availability.meeting_minutes,
        availability.buffer_minutes,
        notice_minutes=0,
        window_days=50,
    )
    fill = chooser.uniform(0.4, 0.85)
    grid = free_times(long_window, [], before, TZ, HOLIDAYS)
    # Kept in UTC, as the database gives them back.
    bookings = [
        Booking(t.astimezone(UTC), availability.meeting_minutes)
        for t in grid
        if chooser.random() < fill
    ]
    for _ in range(chooser.randint(3, 6)):
        start = chooser.choice(grid) + timedelta(minutes=chooser.choice((5, 15, 20)))
        bookings.append(Booking(start.astimezone(UTC), chooser.choice((45, 60))))
    return availability, bookings


def moments(chooser: random.Random, count: int) -> list[datetime]:
    return [
        datetime.combine(
            FIRST_DAY + timedelta(days=chooser.randrange(QUERY_DAYS)),
            datetime.min.time(),
            TZ,
        )
        + timedelta(minutes=chooser.randrange(7 * 60, 18 * 60))
        for _ in range(count)
    ]


def timed(run: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Return the fewest milliseconds of three runs of ``run(*args, **kwargs)``, and its result.

    The best of three leaves out the moments another process had the core (this machine
    is shared), so p99 shows the slowest inputs, not the busiest second.
    """
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = run(*args, **kwargs)
        best = min(best, (time.perf_counter() - start) * 1000)
    return best, result


def report(label: str, timings: list[float], target: float | None) -> bool:
    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    ok = target is None or p99 < target
    verdict = "ok" if ok else "OVER TARGET"
    note = "" if target is None else f"   (target p99 < {target} ms: {verdict})"
    print(f"  {label:44} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms{note}")
    return ok


def main() -> int:
    chooser = random.Random(20261130)
    staff = [made_up_staff(chooser) for _ in range(TEAM_SIZE)]
    team = {number: availability for number, (availability, _) in enumerate(staff)}
    team_bookings = {number: bookings for number, (_, bookings) in enumerate(staff)}
    queries = moments(chooser, 1000)
    free_times(*staff[0], queries[0], TZ, HOLIDAYS)  # load the holidays once

    one: dict[str, list[float]] = {"all": [], "page": [], "day": [], "check": []}
    offered: list[int] = []
    for index, now in enumerate(queries):
        availability, bookings = staff[index % TEAM_SIZE]
        args = (availability, bookings, now, TZ, HOLIDAYS)
        took, times = timed(free_times, *args)
        one["all"].append(took)
        offered.append(len(times))
        one["page"].append(timed(days_with_free_times, *args)[0])
        middle = times[len(times) // 2] if times else now
        one["day"].append(timed(free_times, *args, on=middle.date())[0])
        one["check"].append(timed(is_bookable, middle, *args)[0])

    team_all: list[float] = []
    team_day: list[float] = []
    team_offered: list[int] = []
    for now in queries[:100]:
        args_team = (team, team_bookings, now, TZ, HOLIDAYS)
        took, slots = timed(team_free_times, *args_team)
        team_all.append(took)
        team_offered.append(len(slots))
        team_day.append(timed(team_free_times, *args_team, on=now.date() + timedelta(days=2))[0])

    booked = statistics.mean(len(b) for _, b in staff)
    print(
        f"Free times, Stockholm, Swedish holidays, 14-day window; {TEAM_SIZE} made-up staff with"
        f" {booked:.0f} bookings each on average"
    )
    print(
        f"\nOne contact ({len(queries)} moments;"
        f" {statistics.mean(offered):.0f} free times offered on average)"
    )
    ok = report("free times, whole window", one["all"], TARGET_P99_MS["one"])
    ok &= report("days with free times (first page)", one["page"], TARGET_P99_MS["one"])
    ok &= report("free times on one day", one["day"], TARGET_P99_MS["one"])
    ok &= report("re-check a pressed time (is_bookable)", one["check"], TARGET_P99_MS["one"])
    print(
        f"\nTeam of {TEAM_SIZE} ({len(team_all)} moments; {statistics.mean(team_offered):.0f}"
        " distinct free times on average)"
    )
    ok &= report("team free times, whole window", team_all, TARGET_P99_MS["team"])
    ok &= report("team free times on one day", team_day, TARGET_P99_MS["team"])
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
