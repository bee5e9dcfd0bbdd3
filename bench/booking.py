"""Free times for booking a call: `.venv/bin/python bench/booking.py`.

Prints p50/p99 milliseconds of the pure computations (flows/calls/times.py) for one
contact and for a reception team of 50, over a 14-day window, Stockholm time and Swedish
holidays, at moments spread over 2026-11-30 .. 2026-12-18 (so Christmas falls inside
the window). The staff are made up but realistic: four kinds of weekly hours, part-timers,
30-60 minute calls, a week of leave or a sick day for some, and 40-85% of each one's
grid booked (a week back included), plus a few calls staff put in off the grid; bookings
in UTC, as the database returns them. Each figure is the best of three runs.

Targets: p99 < 2 ms for one contact (each press of "other days" or a day computes it),
< 50 ms for a team of 50.

Then booking at once: 200 residents press a time in the same moment, each in its own
session and transaction through storage/bookings.py's ``book`` (the bot's own pool), on a
throwaway PostgreSQL server (tests/postgres.py) and on SQLite. They choose among
overlapping times (every 5 minutes) of three staff members, so most lose. Prints booking
attempts per second, how many got a time, and counts with one query the booked calls that
overlap another of the same staff member ("double bookings"); any overlap exits 1.
``--no-database`` skips this part; without PostgreSQL's binaries only SQLite runs.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.calls.availability import (  # noqa: E402
    Availability,
    DayException,
    PublicHolidays,
    WeeklyHours,
)
from flows.calls.times import (  # noqa: E402
    Booking,
    days_with_free_times,
    free_times,
    is_bookable,
    team_free_times,
)
from storage import bookings as stored_bookings  # noqa: E402
from storage import queries as stored_queries  # noqa: E402
from storage.db import Database  # noqa: E402

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


RESIDENTS_AT_ONCE = 200
BOOKING_STAFF = 3
CALL_MINUTES, BUFFER_MINUTES = 30, 10
# Times 09:00 .. 10:55 every 5 minutes: each overlaps its neighbours, so most presses lose.
BOOKING_DAY = datetime(2026, 12, 8, 9, 0, tzinfo=TZ)
BOOKING_STARTS = [BOOKING_DAY + timedelta(minutes=5 * step) for step in range(24)]
BOOKED_AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)

# Pairs of booked calls of one staff member whose times overlap (ends are exclusive).
OVERLAPS = {
    "postgresql": """
        SELECT count(*) FROM bookings a JOIN bookings b
          ON a.staff_id = b.staff_id AND a.id < b.id
        WHERE a.status = 'booked' AND b.status = 'booked'
          AND a.start_at < b.start_at + make_interval(mins => b.minutes)
          AND b.start_at < a.start_at + make_interval(mins => a.minutes)
    """,
    "sqlite": """
        SELECT count(*) FROM bookings a JOIN bookings b
          ON a.staff_id = b.staff_id AND a.id < b.id
        WHERE a.status = 'booked' AND b.status = 'booked'
          AND unixepoch(a.start_at) < unixepoch(b.start_at) + b.minutes * 60
          AND unixepoch(b.start_at) < unixepoch(a.start_at) + a.minutes * 60
    """,
}


async def book_at_once(url: str) -> tuple[float, int, int]:
    """Let 200 residents book at once on ``url``; return attempts/s, booked, double bookings."""
    from sqlalchemy import text

    db = Database(url)
    try:
        await db.upgrade()
        async with db.session() as session, session.begin():
            staff = [
                (
                    await stored_queries.add_staff_member(
                        session,
                        telegram_user_id=900 + n,
                        name=f"Staff {n}",
                        role="caseworker",
                        now=BOOKED_AT,
                    )
                ).id
                for n in range(BOOKING_STAFF)
            ]
            residents = [
                (
                    await stored_queries.meet_resident(
                        session, telegram_user_id=user, chat_id=user, locale="sv", now=BOOKED_AT
                    )
                )[0].id
                for user in range(1, RESIDENTS_AT_ONCE + 1)
            ]
        chooser = random.Random(20261208)
        presses = [
            (resident, chooser.choice(staff), chooser.choice(BOOKING_STARTS))
            for resident in residents
        ]

        async def press(resident: int, staff_id: int, start: datetime) -> bool:
            async with db.session() as session, session.begin():
                booking = await stored_bookings.book(
                    session,
                    resident_id=resident,
                    staff_id=staff_id,
                    start=start,
                    minutes=CALL_MINUTES,
                    buffer_minutes=BUFFER_MINUTES,
                    how="phone",
                    phone="0701234567",
                    now=BOOKED_AT,
                )
                return booking is not None

        began = time.perf_counter()
        results = await asyncio.gather(*(press(*one) for one in presses))
        took = time.perf_counter() - began
        async with db.session() as session:
            overlaps = int(await session.scalar(text(OVERLAPS[db.dialect])) or 0)
            stored = int(
                await session.scalar(text("SELECT count(*) FROM bookings WHERE status = 'booked'"))
                or 0
            )
        if stored != sum(results):
            raise RuntimeError(f"{sum(results)} presses won but {stored} calls are stored")
        return RESIDENTS_AT_ONCE / took, sum(results), overlaps
    finally:
        await db.close()


async def postgres_url(server: Any) -> str:
    import asyncpg

    connection = await asyncpg.connect(server.dsn())
    try:
        await connection.execute('CREATE DATABASE "nara_bench"')
    finally:
        await connection.close()
    return str(server.url("nara_bench"))


def booking_at_once() -> bool:
    """Run the 200-at-once booking on PostgreSQL (when installed) and SQLite; True if no overlap."""
    from tests.postgres import PostgresServer, PostgresUnavailable

    print(
        f"\nBooking at once: {RESIDENTS_AT_ONCE} residents, each in its own transaction, press"
        f" one of {len(BOOKING_STARTS)} overlapping times of {BOOKING_STAFF} staff"
        f" ({CALL_MINUTES}-minute calls, {BUFFER_MINUTES} minutes between)"
    )
    ok = True
    runs: list[tuple[str, Callable[[], Any]]] = []
    server: PostgresServer | None = None
    try:
        server = PostgresServer()
    except PostgresUnavailable as missing:
        print(f"  PostgreSQL skipped: {missing}")
    folder = tempfile.TemporaryDirectory(prefix="nara-bench-")
    if server is not None:
        started = server

        async def on_postgres() -> tuple[float, int, int]:
            return await book_at_once(await postgres_url(started))

        runs.append(("PostgreSQL", on_postgres))
    runs.append(("SQLite", lambda: book_at_once(f"sqlite+aiosqlite:///{folder.name}/nara.db")))
    try:
        if server is not None:
            server.start()
        for label, run in runs:
            per_second, won, overlaps = asyncio.run(run())
            print(
                f"  {label:11} {per_second:7.0f} booking attempts/s   {won} of"
                f" {RESIDENTS_AT_ONCE} got a time   double bookings: {overlaps}"
            )
            ok &= overlaps == 0
    finally:
        if server is not None:
            server.stop()
        folder.cleanup()
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
    if "--no-database" not in sys.argv[1:] and not booking_at_once():
        print("DOUBLE BOOKINGS: the database let two calls of one person overlap")
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
