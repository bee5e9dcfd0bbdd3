"""Staff hours and days on real SQLite and real PostgreSQL: what booking reads back."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from flows.calls.availability import PublicHolidays, TimeRange, WeeklyHours, parse_ranges
from flows.calls.times import free_times
from storage import hours, queries
from storage.db import Database

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
SE = PublicHolidays("SE")
OFFICE = "mon-fri 09:00-12:00,13:00-16:00"


async def add_staff(db: Database, user: int, name: str = "Sara") -> int:
    async with db.session() as session, session.begin():
        member = await queries.add_staff_member(
            session, telegram_user_id=user, name=name, role="caseworker", now=NOW
        )
    return member.id


async def set_weekly(db: Database, staff_id: int, weekly: str, **rules: int) -> None:
    async with db.session() as session, session.begin():
        await hours.set_hours(session, staff_id, now=NOW, weekly=WeeklyHours.parse(weekly), **rules)


async def set_day(
    db: Database, staff_id: int, day: date, kind: hours.DayKind, times: str = ""
) -> bool:
    async with db.session() as session, session.begin():
        return await hours.set_day(
            session, staff_id, day, kind, parse_ranges(times) if times else ()
        )


async def test_weekly_hours_come_back_as_an_availability_with_the_defaults(db: Database) -> None:
    sara = await add_staff(db, 1)
    async with db.session() as session:
        assert await hours.availability_of(session, sara) is None
    await set_weekly(db, sara, "MON-fri 13:00-16:00, 9:00-12:00")
    async with db.session() as session:
        stored = await hours.hours_of(session, sara)
        found = await hours.availability_of(session, sara)
    assert stored is not None and stored.weekly == OFFICE  # tidied, as she will see it
    assert found is not None and found.weekly == WeeklyHours.parse(OFFICE)
    assert (
        found.meeting_minutes,
        found.buffer_minutes,
        found.notice_minutes,
        found.window_days,
    ) == (30, 10, 120, 14)
    assert found.exceptions == ()


async def test_rules_change_alone_and_the_rest_stays(db: Database) -> None:
    sara = await add_staff(db, 1)
    await set_weekly(db, sara, OFFICE, meeting_minutes=45)
    async with db.session() as session, session.begin():
        await hours.set_hours(session, sara, now=NOW, buffer_minutes=5, window_days=21)
    async with db.session() as session, session.begin():
        await hours.set_hours(session, sara, now=NOW, notice_minutes=60)
    async with db.session() as session:
        found = await hours.availability_of(session, sara)
    assert found is not None and found.weekly == WeeklyHours.parse(OFFICE)
    assert (
        found.meeting_minutes,
        found.buffer_minutes,
        found.notice_minutes,
        found.window_days,
    ) == (45, 5, 60, 21)


async def test_rules_without_weekly_hours_leave_the_person_unbookable(db: Database) -> None:
    sara = await add_staff(db, 1)
    async with db.session() as session, session.begin():
        await hours.set_hours(session, sara, now=NOW, meeting_minutes=20)
    async with db.session() as session:
        stored = await hours.hours_of(session, sara)
        assert stored is not None and (stored.weekly, stored.meeting_minutes) == ("", 20)
        assert await hours.availability_of(session, sara) is None
        assert await hours.staff_with_hours(session) == []
    await set_weekly(db, sara, OFFICE)
    async with db.session() as session:
        found = await hours.availability_of(session, sara)
    assert found is not None and found.meeting_minutes == 20


async def test_hours_of_someone_who_is_not_staff_are_refused(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await set_weekly(db, 999, OFFICE)


async def test_days_off_sick_days_and_opened_holidays_shape_the_free_times(db: Database) -> None:
    sara = await add_staff(db, 1)
    await set_weekly(db, sara, "mon-fri 09:00-11:00", meeting_minutes=30, buffer_minutes=10)
    tue, wed, christmas_eve = date(2026, 12, 22), date(2026, 12, 23), date(2026, 12, 24)
    assert await set_day(db, sara, tue, "off")
    assert await set_day(db, sara, wed, "sick")
    assert await set_day(db, sara, christmas_eve, "open", "10:00-11:00")
    async with db.session() as session:
        found = await hours.availability_of(session, sara)
        listed = await hours.days_of(session, sara, since=wed)
    assert found is not None
    assert [(d.day, d.kind, d.hours) for d in listed] == [
        (wed, "sick", ""),
        (christmas_eve, "open", "10:00-11:00"),
    ]
    monday = datetime(2026, 12, 21, 7, 0, tzinfo=STOCKHOLM)

    def offered(day: date) -> list[str]:
        return [t.strftime("%H:%M") for t in free_times(found, [], monday, STOCKHOLM, SE, on=day)]

    assert offered(date(2026, 12, 21)) == ["09:00", "09:40", "10:20"]
    assert offered(tue) == [] and offered(wed) == []
    assert offered(christmas_eve) == ["10:00"]  # a holiday she opened
    assert offered(date(2026, 12, 25)) == []  # Christmas Day: a public holiday, not opened


async def test_a_day_is_replaced_and_reported_changed_only_when_it_changes(db: Database) -> None:
    sara = await add_staff(db, 1)
    day = date(2026, 12, 28)
    assert await set_day(db, sara, day, "off")
    assert not await set_day(db, sara, day, "off")
    assert await set_day(db, sara, day, "sick")
    assert not await set_day(db, sara, day, "sick")
    assert await set_day(db, sara, day, "open", "10:00-12:00")
    assert await set_day(db, sara, day, "open", "10:00-13:00")
    async with db.session() as session:
        (only,) = await hours.days_of(session, sara)
        assert (only.kind, only.hours) == ("open", "10:00-13:00")
    async with db.session() as session, session.begin():
        assert await hours.clear_day(session, sara, day) == "open"
        assert await hours.clear_day(session, sara, day) is None
        assert await hours.day_of(session, sara, day) is None


async def test_an_open_day_needs_hours_and_a_day_off_has_none(db: Database) -> None:
    sara = await add_staff(db, 1)
    async with db.session() as session, session.begin():
        with pytest.raises(ValueError, match="hours"):
            await hours.set_day(session, sara, date(2026, 12, 24), "open")
        with pytest.raises(ValueError, match="hours"):
            await hours.set_day(session, sara, date(2026, 12, 24), "off", (TimeRange(600, 660),))
        with pytest.raises(ValueError, match="kind"):
            await hours.set_day(session, sara, date(2026, 12, 24), "holiday")  # type: ignore[arg-type]


async def test_the_reception_team_is_active_staff_with_hours_each_with_their_own_days(
    db: Database,
) -> None:
    sara, ali, jonas, leif = [
        await add_staff(db, user, name)
        for user, name in ((1, "Sara"), (2, "Ali"), (3, "Jonas"), (4, "Leif"))
    ]
    await set_weekly(db, sara, OFFICE)
    await set_weekly(db, ali, "mon-wed 10:00-14:00", meeting_minutes=45)
    await set_weekly(db, leif, OFFICE)  # Jonas set no hours
    await set_day(db, ali, date(2026, 12, 22), "off")
    async with db.session() as session, session.begin():
        assert await queries.remove_staff_member(session, 4, NOW)  # Leif has left
    async with db.session() as session:
        team = await hours.staff_with_hours(session)
        assert await hours.availability_of(session, leif) is None
        assert await hours.availability_of(session, jonas) is None
    assert [(member.id, member.name) for member, _ in team] == [(sara, "Sara"), (ali, "Ali")]
    (_, sara_hours), (_, ali_hours) = team
    assert sara_hours.exceptions == () and sara_hours.meeting_minutes == 30
    assert [e.day for e in ali_hours.exceptions] == [date(2026, 12, 22)]
    assert ali_hours.meeting_minutes == 45


async def test_stored_hours_keep_their_wall_clock_across_daylight_saving(db: Database) -> None:
    sara = await add_staff(db, 1)
    await set_weekly(db, sara, "mon-fri 09:00-10:00", notice_minutes=0)
    async with db.session() as session:
        found = await hours.availability_of(session, sara)
    assert found is not None
    # Sweden moves its clocks back on Sunday 25 October 2026.
    friday = datetime(2026, 10, 23, 5, 0, tzinfo=UTC)
    offered = [
        t.isoformat(timespec="minutes") for t in free_times(found, [], friday, STOCKHOLM, SE)
    ]
    assert offered[:2] == ["2026-10-23T09:00+02:00", "2026-10-26T09:00+01:00"]


async def test_the_same_sick_day_written_twice_at_once_is_one_change(db: Database) -> None:
    """Two writes (the bot and `nara staff hours --sick`) race: one cancels the calls."""
    sara = await add_staff(db, 1)
    day = date(2026, 12, 28)
    first_wrote = asyncio.Event()

    async def first() -> bool:
        async with db.session() as session, session.begin():
            changed = await hours.set_day(session, sara, day, "sick")
            first_wrote.set()
            if db.dialect == "postgresql":
                await _until_another_waits_for_a_lock(db)
            return changed

    async def second() -> bool:
        await first_wrote.wait()
        return await set_day(db, sara, day, "sick")

    assert sorted(await asyncio.gather(first(), second())) == [False, True]


async def _until_another_waits_for_a_lock(db: Database) -> None:
    """Return once some other PostgreSQL session waits for a row lock (the racing write)."""
    for _failsafe in range(2000):
        async with db.engine.connect() as connection:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
    raise AssertionError("the second write never reached the database")
