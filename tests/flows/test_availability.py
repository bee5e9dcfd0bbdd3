"""Availability and free times as plain values: the hours notation, holidays, daylight saving,
notice, window, buffers, a reception team, re-checking a pressed time, and a sick day."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.calls.availability import (
    Availability,
    DayException,
    HoursError,
    HoursProblem,
    PublicHolidays,
    TimeRange,
    WeeklyHours,
)
from flows.calls.times import (
    Bookability,
    Booking,
    TeamSlot,
    bookings_on,
    days_with_free_times,
    free_times,
    is_bookable,
    least_booked,
    page_of_days,
    team_free_times,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HELSINKI = ZoneInfo("Europe/Helsinki")
SE = PublicHolidays("SE")
FI = PublicHolidays("FI")
NO_HOLIDAYS: frozenset[date] = frozenset()
OFFICE = "mon-fri 09:00-12:00,13:00-16:00"


def at(day: date, clock: str, tz: ZoneInfo = STOCKHOLM, *, fold: int = 0) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz, fold=fold)


def clocks(times: list[datetime]) -> list[str]:
    return [t.strftime("%H:%M") for t in times]


def stamps(times: list[datetime]) -> list[str]:
    """Local wall time with its UTC offset: what a resident is offered, and which instant."""
    return [t.isoformat(timespec="minutes") for t in times]


def office(text: str = OFFICE, **settings: int) -> Availability:
    return Availability(WeeklyHours.parse(text), **settings)  # type: ignore[arg-type]


MON = date(2026, 12, 14)  # a Monday with no holiday near; Christmas in the window
EARLY_MONDAY = at(MON, "07:00")


# --- the hours notation --------------------------------------------------------------


def test_days_ranges_lists_and_groups_are_read() -> None:
    hours = WeeklyHours.parse("mon-thu 09:00-16:00; fri 09:00-12:00,13:00-15:00")
    assert [hours.on(day) for day in range(7)] == [
        (TimeRange(540, 960),),
        (TimeRange(540, 960),),
        (TimeRange(540, 960),),
        (TimeRange(540, 960),),
        (TimeRange(540, 720), TimeRange(780, 900)),
        (),
        (),
    ]
    listed = WeeklyHours.parse("mon,wed 10:00-14:00")
    assert [bool(listed.on(day)) for day in range(7)] == [True, False, True] + [False] * 4


def test_case_spaces_and_order_of_ranges_do_not_matter() -> None:
    tidy = WeeklyHours.parse("mon-fri 09:00-12:00,13:00-16:00")
    assert WeeklyHours.parse("  MON - Fri   13:00-16:00 , 9:00 - 12:00 ;") == tidy


def test_a_day_may_be_in_several_groups_when_its_times_do_not_overlap() -> None:
    hours = WeeklyHours.parse("mon-fri 09:00-12:00; mon 13:00-15:00")
    assert hours.on(0) == (TimeRange(540, 720), TimeRange(780, 900))
    assert hours.on(1) == (TimeRange(540, 720),)
    assert hours.format() == "mon 09:00-12:00,13:00-15:00; tue-fri 09:00-12:00"


def test_24_00_is_the_end_of_the_day() -> None:
    hours = WeeklyHours.parse("sun 20:00-24:00")
    assert hours.on(6) == (TimeRange(1200, 1440),)
    assert hours.format() == "sun 20:00-24:00"


def test_empty_hours_mean_no_time_on_any_day() -> None:
    assert WeeklyHours.parse("  ") == WeeklyHours.closed()
    assert WeeklyHours.closed().format() == ""


@pytest.mark.parametrize(
    ("text", "problem", "part"),
    [
        ("mun-fri 09:00-12:00", HoursProblem.UNKNOWN_DAY, "mun"),
        ("mon-fri 09:00-12:00; sunday 10:00-11:00", HoursProblem.UNKNOWN_DAY, "sunday"),
        ("mon-fri 25:00-26:00", HoursProblem.NOT_A_TIME, "25:00"),
        ("mon 09:75-10:00", HoursProblem.NOT_A_TIME, "09:75"),
        ("mon 23:00-24:30", HoursProblem.NOT_A_TIME, "24:30"),
        ("mon-fri 12:00-09:00", HoursProblem.END_NOT_AFTER_START, "12:00-09:00"),
        ("mon 09:00-09:00", HoursProblem.END_NOT_AFTER_START, "09:00-09:00"),
        ("mon-fri 09:00-12:00,11:00-13:00", HoursProblem.OVERLAP, "09:00-12:00,11:00-13:00"),
        ("mon-fri 09:00-12:00; wed 11:30-14:00", HoursProblem.OVERLAP, "09:00-12:00,11:30-14:00"),
        ("sat 10:00-12:00,11:59-13:00", HoursProblem.OVERLAP, "10:00-12:00,11:59-13:00"),
        ("fri-mon 09:00-12:00", HoursProblem.BACKWARD_DAYS, "fri-mon"),
        ("mon-fri,wed 09:00-12:00", HoursProblem.REPEATED_DAY, "wed"),
        ("mon-fri", HoursProblem.NO_TIMES, "mon-fri"),
        ("09:00-12:00", HoursProblem.NO_DAYS, "09:00-12:00"),
        ("mon 9-12", HoursProblem.NOT_A_RANGE, "9-12"),
        ("mon 09:00-12:00,", HoursProblem.NOT_A_RANGE, "09:00-12:00,"),
    ],
)
def test_errors_name_the_wrong_part_and_why(text: str, problem: HoursProblem, part: str) -> None:
    with pytest.raises(HoursError) as caught:
        WeeklyHours.parse(text)
    assert caught.value.problem is problem
    assert caught.value.part == part
    for piece in part.split(",") if problem is HoursProblem.OVERLAP else [part]:
        assert f'"{piece}"' in str(caught.value) or piece in str(caught.value).split()


def test_ranges_may_touch() -> None:
    hours = WeeklyHours.parse("sat 10:00-12:00,12:00-13:00")
    assert hours.on(5) == (TimeRange(600, 720), TimeRange(720, 780))


def test_overlap_across_groups_says_which_day() -> None:
    with pytest.raises(HoursError, match=r"^wed: "):
        WeeklyHours.parse("mon-fri 09:00-12:00; wed 11:30-14:00")


def test_an_unknown_day_lists_the_days_that_exist() -> None:
    with pytest.raises(HoursError, match="use mon, tue, wed, thu, fri, sat or sun"):
        WeeklyHours.parse("mån 09:00-12:00")


@pytest.mark.parametrize(
    "text",
    [
        "mon-fri 09:00-12:00,13:00-16:00",
        "mon-thu 09:00-16:00; fri 09:00-12:00",
        "mon,wed 10:00-14:00; sat,sun 10:00-12:00",
        "mon-wed,fri 08:00-12:00; thu 00:00-24:00",
        "sun 01:00-05:00",
        "",
    ],
)
def test_written_in_the_canonical_form_it_formats_back_the_same(text: str) -> None:
    assert WeeklyHours.parse(text).format() == text


def test_any_weekly_hours_survive_a_round_trip() -> None:
    chooser = random.Random(20261214)
    for _ in range(500):
        days = []
        for _day in range(7):
            edges = sorted(chooser.sample(range(0, 24 * 4 + 1), chooser.choice([0, 2, 2, 4, 6])))
            spans = [
                TimeRange(a * 15, b * 15) for a, b in zip(edges[::2], edges[1::2], strict=True)
            ]
            days.append(tuple(spans))
        hours = WeeklyHours(tuple(days))
        assert WeeklyHours.parse(hours.format()) == hours, hours.format()


def test_settings_that_cannot_work_are_refused() -> None:
    hours = WeeklyHours.parse(OFFICE)
    with pytest.raises(ValueError, match="one exception per date"):
        Availability(hours, (DayException.off(MON), DayException.open(MON, "10:00-11:00")))
    with pytest.raises(ValueError, match="at least a minute"):
        Availability(hours, meeting_minutes=0)
    with pytest.raises(ValueError, match="negative"):
        Availability(hours, buffer_minutes=-5)
    with pytest.raises(HoursError):
        DayException.open(MON, "10:00-09:00")


def test_an_exception_replaces_the_earlier_one_for_its_date() -> None:
    first = Availability(WeeklyHours.parse(OFFICE), (DayException.off(MON),))
    changed = first.with_exception(DayException.open(MON, "10:00-11:00"))
    assert changed.exceptions == (DayException(MON, (TimeRange(600, 660),)),)
    assert first.exceptions == (DayException(MON),)


# --- public holidays -----------------------------------------------------------------


def test_swedish_holidays_include_the_eves_offices_close_on() -> None:
    for day in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 31)):
        assert day in SE
    # `holidays` calls Midsummer Eve a de facto holiday in Sweden, not a public one.
    assert SE.name(date(2026, 6, 19), "en_US") == "Midsummer Eve"
    assert date(2026, 6, 20) in SE
    assert date(2026, 12, 23) not in SE
    assert date(2026, 12, 27) not in SE  # an ordinary Sunday
    assert date(2026, 12, 6) not in SE


def test_finland_has_its_own_holidays() -> None:
    assert date(2026, 12, 6) in PublicHolidays("fi")
    assert FI.name(date(2026, 12, 6), "en_US") == "Independence Day"
    # Names never follow the machine's locale: the country's own language unless asked.
    assert FI.name(date(2026, 12, 6)) == "Itsenäisyyspäivä"
    assert SE.name(date(2026, 12, 24), "ti") == "Julafton"
    assert date(2026, 6, 6) in SE and date(2026, 6, 6) not in FI


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="XX"):
        PublicHolidays("XX")


def test_no_times_on_swedish_christmas_days() -> None:
    staff = office(window_days=30)
    offered = {t.date() for t in free_times(staff, [], EARLY_MONDAY, STOCKHOLM, SE)}
    assert date(2026, 12, 23) in offered
    assert date(2026, 12, 28) in offered
    for day in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)):
        assert day not in offered
    # Without holidays the same weekdays have times: the holidays are what closes them.
    unfiltered = {t.date() for t in free_times(staff, [], EARLY_MONDAY, STOCKHOLM, NO_HOLIDAYS)}
    assert {date(2026, 12, 24), date(2026, 12, 25), date(2027, 1, 1)} <= unfiltered


def test_no_times_on_finnish_independence_day_in_finland_only() -> None:
    every_day = office("mon-sun 09:00-12:00")
    now = at(date(2026, 12, 1), "08:00", HELSINKI)
    sunday = date(2026, 12, 6)
    assert free_times(every_day, [], now, HELSINKI, FI, on=sunday) == []
    assert clocks(free_times(every_day, [], now, HELSINKI, SE, on=sunday)) == [
        "09:00",
        "09:40",
        "10:20",
        "11:00",
    ]


def test_an_exception_opens_a_holiday() -> None:
    eve = date(2026, 12, 24)
    staff = office().with_exception(DayException.open(eve, "10:00-12:00"))
    assert clocks(free_times(staff, [], EARLY_MONDAY, STOCKHOLM, SE, on=eve)) == [
        "10:00",
        "10:40",
        "11:20",
    ]
    assert is_bookable(at(eve, "10:40"), staff, [], EARLY_MONDAY, STOCKHOLM, SE)


# --- daylight saving -----------------------------------------------------------------


@pytest.mark.parametrize("tz", [STOCKHOLM, HELSINKI], ids=["stockholm", "helsinki"])
@pytest.mark.parametrize(
    "change", [date(2026, 3, 29), date(2026, 10, 25)], ids=["spring", "autumn"]
)
def test_nine_o_clock_stays_nine_o_clock_across_the_change(tz: ZoneInfo, change: date) -> None:
    staff = office("mon-sun 09:00-12:00")
    now = at(change - timedelta(days=3), "06:00", tz)
    before, after = change - timedelta(days=1), change + timedelta(days=1)
    by_day = {
        day: free_times(staff, [], now, tz, NO_HOLIDAYS, on=day) for day in (before, change, after)
    }
    for times in by_day.values():
        assert clocks(times) == ["09:00", "09:40", "10:20", "11:00"]
    # The same wall-clock time is another instant after the change.
    offsets = {day: times[0].utcoffset() for day, times in by_day.items()}
    assert offsets[before] is not None and offsets[after] is not None
    assert abs(offsets[before] - offsets[after]) == timedelta(hours=1)
    assert offsets[change] == offsets[after]


def test_spring_skips_the_times_that_do_not_exist_in_stockholm() -> None:
    staff = office("sun 01:00-05:00")
    now = at(date(2026, 3, 25), "12:00")
    assert stamps(free_times(staff, [], now, STOCKHOLM, NO_HOLIDAYS, on=date(2026, 3, 29))) == [
        "2026-03-29T01:00+01:00",
        "2026-03-29T01:40+01:00",
        # 02:20 does not exist: the clocks go from 02:00 to 03:00.
        "2026-03-29T03:00+02:00",
        "2026-03-29T03:40+02:00",
        "2026-03-29T04:20+02:00",
    ]


def test_spring_skips_the_times_that_do_not_exist_in_helsinki() -> None:
    staff = office("sun 02:00-06:00")
    now = at(date(2026, 3, 25), "12:00", HELSINKI)
    assert stamps(free_times(staff, [], now, HELSINKI, NO_HOLIDAYS, on=date(2026, 3, 29))) == [
        "2026-03-29T02:00+02:00",
        "2026-03-29T02:40+02:00",
        # Helsinki jumps from 03:00 to 04:00: 03:20 does not exist.
        "2026-03-29T04:00+03:00",
        "2026-03-29T04:40+03:00",
        "2026-03-29T05:20+03:00",
    ]


def test_a_range_ending_in_the_missing_hour_ends_when_the_clocks_jump() -> None:
    staff = office("sun 01:00-02:30")
    now = at(date(2026, 3, 25), "12:00")
    # Until 02:00 there is one hour: 01:40 + 30 minutes would run past the jump.
    assert stamps(free_times(staff, [], now, STOCKHOLM, NO_HOLIDAYS, on=date(2026, 3, 29))) == [
        "2026-03-29T01:00+01:00"
    ]


def test_autumn_offers_the_repeated_hour_once() -> None:
    staff = office("sun 01:00-04:00")
    now = at(date(2026, 10, 20), "12:00")
    assert stamps(free_times(staff, [], now, STOCKHOLM, NO_HOLIDAYS, on=date(2026, 10, 25))) == [
        "2026-10-25T01:00+02:00",
        "2026-10-25T01:40+02:00",
        "2026-10-25T02:20+02:00",
        "2026-10-25T03:00+01:00",
    ]
    inside = office("sun 02:00-03:00")
    assert stamps(free_times(inside, [], now, STOCKHOLM, NO_HOLIDAYS, on=date(2026, 10, 25))) == [
        "2026-10-25T02:00+02:00",
        "2026-10-25T02:40+02:00",
    ]


def test_autumn_in_helsinki_repeats_three_o_clock_not_two() -> None:
    staff = office("sun 03:00-04:00")
    now = at(date(2026, 10, 20), "12:00", HELSINKI)
    assert stamps(free_times(staff, [], now, HELSINKI, NO_HOLIDAYS, on=date(2026, 10, 25))) == [
        "2026-10-25T03:00+03:00",
        "2026-10-25T03:40+03:00",
    ]


@pytest.mark.parametrize("tz", [STOCKHOLM, HELSINKI], ids=["stockholm", "helsinki"])
@pytest.mark.parametrize(
    "now_day", [date(2026, 3, 22), date(2026, 10, 18)], ids=["spring", "autumn"]
)
def test_round_the_clock_hours_offer_each_wall_time_once_and_only_real_ones(
    tz: ZoneInfo, now_day: date
) -> None:
    staff = office("mon-sun 00:00-24:00", notice_minutes=0)
    times = free_times(staff, [], at(now_day, "00:10", tz), tz, NO_HOLIDAYS)
    walls = [t.replace(tzinfo=None) for t in times]
    assert len(set(walls)) == len(walls)
    instants = [t.astimezone(UTC) for t in times]
    assert instants == sorted(instants) and len(set(instants)) == len(instants)
    for t in times:  # every wall time offered exists and means this instant
        assert t.replace(tzinfo=tz).astimezone(UTC) == t.astimezone(UTC)
    assert now_day + timedelta(days=7) in {t.date() for t in times}


def test_a_call_in_the_repeated_hour_blocks_by_real_time_not_by_clock() -> None:
    staff = office("sun 01:00-04:00")
    now = at(date(2026, 10, 20), "12:00")
    change = date(2026, 10, 25)
    # Booked by staff at 02:30 the second time round (winter time): 01:30 UTC.
    second_time_round = Booking(at(change, "02:30", fold=1), 30)
    assert second_time_round.start.utcoffset() == timedelta(hours=1)
    times = free_times(staff, [second_time_round], now, STOCKHOLM, NO_HOLIDAYS, on=change)
    # 02:20 summer time is an hour before it and stays; 03:00 winter time is 10 minutes
    # after it ends, inside the buffer, and goes.
    assert stamps(times) == [
        "2026-10-25T01:00+02:00",
        "2026-10-25T01:40+02:00",
        "2026-10-25T02:20+02:00",
    ]


# --- what is never offered -----------------------------------------------------------


def test_the_grid_starts_at_each_range_and_steps_a_meeting_and_a_buffer() -> None:
    assert clocks(free_times(office(), [], EARLY_MONDAY, STOCKHOLM, SE, on=MON)) == [
        "09:00", "09:40", "10:20", "11:00",
        "13:00", "13:40", "14:20", "15:00",
    ]  # fmt: skip
    longer = office(meeting_minutes=45, step_minutes=30)
    assert clocks(free_times(longer, [], EARLY_MONDAY, STOCKHOLM, SE, on=MON)) == [
        "09:00", "09:30", "10:00", "10:30", "11:00",
        "13:00", "13:30", "14:00", "14:30", "15:00",
    ]  # fmt: skip


def test_past_times_and_times_within_notice_are_not_offered() -> None:
    now = at(MON, "10:05")
    assert clocks(free_times(office(), [], now, STOCKHOLM, SE, on=MON)) == [
        "13:00", "13:40", "14:20", "15:00",
    ]  # fmt: skip
    short = office(notice_minutes=0)
    assert clocks(free_times(short, [], now, STOCKHOLM, SE, on=MON))[:2] == ["10:20", "11:00"]
    hour = office(notice_minutes=60)
    assert clocks(free_times(hour, [], at(MON, "12:00"), STOCKHOLM, SE, on=MON))[0] == "13:00"
    assert clocks(free_times(hour, [], at(MON, "12:01"), STOCKHOLM, SE, on=MON))[0] == "13:40"


def test_nothing_after_the_windows_last_day() -> None:
    week = office(window_days=7)
    days = {t.date() for t in free_times(week, [], EARLY_MONDAY, STOCKHOLM, SE)}
    assert max(days) == MON + timedelta(days=7)
    assert min(days) == MON
    default = {t.date() for t in free_times(office(), [], EARLY_MONDAY, STOCKHOLM, SE)}
    assert max(default) == date(2026, 12, 28)  # 14 days on; the 29th is not offered


def test_no_time_nearer_to_a_booking_than_the_buffer() -> None:
    staff_booked = [Booking(at(MON, "09:40"), 30)]
    # Exactly the buffer apart is allowed: 09:00-09:30, [09:40-10:10], 10:20-10:50.
    assert clocks(free_times(office(), staff_booked, EARLY_MONDAY, STOCKHOLM, SE, on=MON))[:3] == [
        "09:00",
        "10:20",
        "11:00",
    ]
    wider = office(buffer_minutes=15, step_minutes=40)
    assert clocks(free_times(wider, staff_booked, EARLY_MONDAY, STOCKHOLM, SE, on=MON))[:2] == [
        "11:00",
        "13:00",
    ]


def test_a_booking_off_the_grid_and_in_another_zone_blocks_its_neighbours() -> None:
    # 10:00 Stockholm, written in UTC, 45 minutes: blocks 09:50-10:55.
    booked = [Booking(datetime(2026, 12, 14, 9, 0, tzinfo=UTC), 45)]
    assert clocks(free_times(office(), booked, EARLY_MONDAY, STOCKHOLM, SE, on=MON))[:3] == [
        "09:00",
        "11:00",
        "13:00",
    ]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        free_times(office(), [], datetime(2026, 12, 14, 8, 0), STOCKHOLM, SE)
    with pytest.raises(ValueError, match="aware"):
        free_times(
            office(), [Booking(datetime(2026, 12, 14, 9, 0), 30)], EARLY_MONDAY, STOCKHOLM, SE
        )


# --- days first, then times ----------------------------------------------------------


def test_days_are_offered_a_page_at_a_time() -> None:
    staff = office()
    first = days_with_free_times(staff, [], EARLY_MONDAY, STOCKHOLM, SE)
    assert first.days == tuple(date(2026, 12, d) for d in (14, 15, 16, 17, 18))
    assert first.more_after == date(2026, 12, 18)
    second = days_with_free_times(staff, [], EARLY_MONDAY, STOCKHOLM, SE, after=first.more_after)
    # 24 and 25 are holidays, 26 and 27 a weekend, 28 the window's last day.
    assert second.days == tuple(date(2026, 12, d) for d in (21, 22, 23, 28))
    assert second.more_after is None


def test_a_fully_booked_day_is_not_offered() -> None:
    staff = office()
    tuesday = date(2026, 12, 15)
    full = [Booking(t, 30) for t in free_times(staff, [], EARLY_MONDAY, STOCKHOLM, SE, on=tuesday)]
    assert len(full) == 8
    page = days_with_free_times(staff, full, EARLY_MONDAY, STOCKHOLM, SE)
    assert page.days == tuple(date(2026, 12, d) for d in (14, 16, 17, 18, 21))


def test_a_page_holds_at_least_one_day() -> None:
    with pytest.raises(ValueError):
        page_of_days([], after=None, limit=0)


# --- re-checking a pressed time ------------------------------------------------------


def test_every_offered_time_is_bookable_until_it_is_booked() -> None:
    staff = office()
    offered = free_times(staff, [], EARLY_MONDAY, STOCKHOLM, SE)
    assert offered and all(is_bookable(t, staff, [], EARLY_MONDAY, STOCKHOLM, SE) for t in offered)
    chosen = offered[1]
    booked = [Booking(chosen, staff.meeting_minutes)]
    assert is_bookable(chosen, staff, booked, EARLY_MONDAY, STOCKHOLM, SE) is Bookability.TAKEN
    after = free_times(staff, booked, EARLY_MONDAY, STOCKHOLM, SE)
    assert chosen not in after and len(after) == len(offered) - 1


@pytest.mark.parametrize(
    ("slot", "reason"),
    [
        (at(MON, "09:40"), Bookability.PASSED),
        (at(MON, "10:05"), Bookability.PASSED),
        (at(MON, "11:00"), Bookability.TOO_SOON),
        (at(date(2026, 12, 29), "09:00"), Bookability.TOO_FAR),
        (at(date(2026, 12, 19), "10:20"), Bookability.OUTSIDE_HOURS),  # Saturday
        (at(date(2026, 12, 24), "10:20"), Bookability.OUTSIDE_HOURS),  # Christmas Eve
        (at(MON, "15:40"), Bookability.OUTSIDE_HOURS),  # would run past 16:00
        (at(MON, "12:30"), Bookability.OUTSIDE_HOURS),  # lunch
        (at(MON, "14:20"), Bookability.TAKEN),  # 14:00 is booked
        (at(MON, "13:00"), Bookability.BOOKABLE),
        (at(MON, "15:20"), Bookability.BOOKABLE),  # off the grid, but it fits
    ],
)
def test_a_pressed_time_is_checked_again(slot: datetime, reason: Bookability) -> None:
    booked = [Booking(at(MON, "14:00"), 30)]
    assert is_bookable(slot, office(), booked, at(MON, "10:05"), STOCKHOLM, SE) is reason


def test_a_pressed_time_written_in_utc_is_read_in_local_time() -> None:
    night = office("tue 00:00-02:00", notice_minutes=0)
    # 23:40 UTC on Monday is 00:40 on Tuesday in Stockholm.
    slot = datetime(2026, 12, 14, 23, 40, tzinfo=UTC)
    assert is_bookable(slot, night, [], EARLY_MONDAY, STOCKHOLM, SE) is Bookability.BOOKABLE
    offered = free_times(night, [], EARLY_MONDAY, STOCKHOLM, SE, on=date(2026, 12, 15))
    assert slot in offered  # the same instant, whatever zone it is written in


def test_only_bookable_reads_as_true() -> None:
    assert [bool(reason) for reason in Bookability] == [True] + [False] * (len(Bookability) - 1)


# --- a reception team ----------------------------------------------------------------


def test_a_team_offers_any_free_member_and_says_who() -> None:
    team = {
        "anna": office("mon-fri 09:00-11:00"),
        "bilal": office("mon-fri 09:00-11:00"),
        "cecilia": office("mon-fri 09:00-11:00").with_exception(DayException.off(MON)),
        "daniel": office("mon-fri 09:00-11:00", meeting_minutes=60, buffer_minutes=0),
    }
    bookings = {"bilal": [Booking(at(MON, "09:00"), 30)]}
    slots = team_free_times(team, bookings, EARLY_MONDAY, STOCKHOLM, SE, on=MON)
    assert [(s.start.strftime("%H:%M"), s.staff) for s in slots] == [
        ("09:00", ("anna", "daniel")),
        ("09:40", ("anna", "bilal")),
        ("10:00", ("daniel",)),
        ("10:20", ("anna", "bilal")),
    ]


def test_the_least_booked_free_member_is_picked_and_ties_go_in_team_order() -> None:
    slot = TeamSlot(at(MON, "09:40"), ("anna", "bilal", "daniel"))
    one = [Booking(at(MON, "13:00"), 30)]
    two = [Booking(at(MON, "13:00"), 30), Booking(at(MON, "14:00"), 30)]
    assert least_booked(slot, {"anna": two, "bilal": one, "daniel": one}) == "bilal"
    assert least_booked(slot, {"anna": one, "bilal": one, "daniel": []}) == "daniel"
    assert least_booked(slot, {}) == "anna"


# --- a sick day ----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredBooking:
    booking_id: int
    start: datetime
    minutes: int


def test_a_sick_day_finds_the_bookings_to_cancel_and_closes_the_day() -> None:
    tuesday = date(2026, 12, 15)
    bookings = [
        StoredBooking(1, at(tuesday, "13:00"), 30),
        StoredBooking(2, at(tuesday, "09:00"), 30),
        StoredBooking(3, at(MON, "23:50"), 30),  # runs past midnight into Tuesday
        StoredBooking(4, at(MON, "23:30"), 30),  # ends at midnight: Monday only
        StoredBooking(5, at(date(2026, 12, 16), "00:00"), 30),
        StoredBooking(6, datetime(2026, 12, 15, 22, 30, tzinfo=UTC), 20),  # 23:30 Stockholm
    ]
    assert [b.booking_id for b in bookings_on(tuesday, bookings, STOCKHOLM)] == [3, 2, 1, 6]
    sick = office().with_exception(DayException.off(tuesday))
    assert free_times(sick, [], EARLY_MONDAY, STOCKHOLM, SE, on=tuesday) == []
    assert free_times(office(), [], EARLY_MONDAY, STOCKHOLM, SE, on=tuesday) != []


def test_a_day_of_the_clock_change_covers_its_real_hours() -> None:
    change = date(2026, 10, 25)
    late = StoredBooking(1, at(change, "23:40"), 15)
    repeated = StoredBooking(2, at(change, "02:10", fold=1), 15)
    next_day = StoredBooking(3, at(change + timedelta(days=1), "00:00"), 15)
    assert [b.booking_id for b in bookings_on(change, [next_day, late, repeated], STOCKHOLM)] == [
        2,
        1,
    ]
