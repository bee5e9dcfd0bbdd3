"""/hours as plain values: what staff type, which buttons are refused, days offered."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from flows.calls import staff_hours
from flows.calls.availability import HoursError, HoursProblem, TimeRange, WeeklyHours
from flows.calls.staff_hours import DateError, HoursPress, OpenDay, SetWeekly, TooLong

TODAY = date(2026, 12, 14)


def test_weekly_hours_are_typed_in_the_notation_with_groups_on_lines_or_after_semicolons() -> None:
    on_lines = staff_hours.read_typed("mon-thu 09:00-16:00\nfri 09:00-12:00")
    with_semicolons = staff_hours.read_typed("mon-thu 09:00-16:00; fri 09:00-12:00")
    assert on_lines == with_semicolons
    assert isinstance(on_lines, SetWeekly)
    assert on_lines.weekly.format() == "mon-thu 09:00-16:00; fri 09:00-12:00"


def test_a_date_and_hours_give_one_day_its_own_hours() -> None:
    typed = staff_hours.read_typed("2026-12-24 13:00-15:00,10:00-12:00")
    assert typed == OpenDay(date(2026, 12, 24), (TimeRange(600, 720), TimeRange(780, 900)))


@pytest.mark.parametrize(
    ("typed", "error", "part"),
    [
        ("mun-fri 09:00-12:00", HoursError, "mun"),
        ("2026-12-32 10:00-12:00", DateError, "2026-12-32"),
        ("2026-02-30 10:00-12:00", DateError, "2026-02-30"),
        ("2026-12-24", HoursError, "2026-12-24"),
        ("2026-12-24 10-12", HoursError, "10-12"),
    ],
)
def test_what_cannot_be_read_names_its_part(typed: str, error: type[Exception], part: str) -> None:
    with pytest.raises(error) as caught:
        staff_hours.read_typed(typed)
    assert caught.value.part == part  # type: ignore[attr-defined]


def test_more_time_spans_than_can_be_kept_are_refused() -> None:
    many = "; ".join(
        f"{day} " + ",".join(f"{h:02d}:{n:02d}-{h:02d}:{n + 20:02d}" for h in range(6, 22))
        for n, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    )
    assert len(WeeklyHours.parse(many).format()) > staff_hours.WEEKLY_LENGTH
    with pytest.raises(TooLong):
        staff_hours.read_typed(many)
    reply = staff_hours.not_changed(TooLong(many))
    assert reply.paragraphs[1].msgid == "That is more time spans than I can keep. Write fewer."


def test_each_problem_has_its_own_words() -> None:
    assert set(staff_hours.PROBLEMS) == set(HoursProblem)
    reply = staff_hours.not_changed(HoursError(HoursProblem.NOT_A_TIME, "25:00", "x"))
    assert reply.paragraphs[1].params == {"part": "25:00"}
    assert reply.paragraphs[-1].msgid == f"/hours {staff_hours.EXAMPLE}"


@pytest.mark.parametrize(
    ("data", "press"),
    [
        ("hours:show", HoursPress("show")),
        ("hours:meet", HoursPress("meet")),
        ("hours:meet:45", HoursPress("meet", minutes=45)),
        ("hours:buf:0", HoursPress("buf", minutes=0)),
        ("hours:off:2026-12-24", HoursPress("off", day=date(2026, 12, 24))),
        ("hours:sickyes:2026-12-14", HoursPress("sickyes", day=date(2026, 12, 14))),
    ],
)
def test_buttons_are_read_back(data: str, press: HoursPress) -> None:
    assert staff_hours.read_press(data) == press


@pytest.mark.parametrize(
    "data",
    [
        "hours",
        "hours:",
        "hours:meet:7",  # not a choice
        "hours:meet:-30",
        "hours:buf:9999",
        "hours:off:2026-13-01",
        "hours:off:tomorrow",
        "hours:delete:2026-12-24",
        "hours:off:2026-12-24:extra",
        "hours:show:1",
        "book:meet:30",
    ],
)
def test_forged_or_unknown_buttons_are_refused(data: str) -> None:
    assert staff_hours.read_press(data) is None


def test_days_off_are_offered_a_week_of_working_days_at_a_time() -> None:
    working = [
        TODAY + timedelta(days=n) for n in range(30) if (TODAY + timedelta(days=n)).weekday() < 5
    ]
    shown, more = staff_hours.offered_days(TODAY, working)
    assert shown == tuple(working[:7]) and more == working[7]
    later, _ = staff_hours.offered_days(TODAY, working, start=more)
    assert later == tuple(working[7:14])
    last, none = staff_hours.offered_days(TODAY, working[:9], start=working[7])
    assert last == tuple(working[7:9]) and none is None
    # A page that starts before today (an old button) starts today.
    assert staff_hours.offered_days(TODAY, working, start=TODAY - timedelta(days=30))[0][0] == TODAY


def test_a_passed_or_far_day_is_refused() -> None:
    assert staff_hours.refuse_day(TODAY, TODAY) is None
    assert staff_hours.refuse_day(TODAY - timedelta(days=1), TODAY) is not None
    assert staff_hours.refuse_day(TODAY + staff_hours.FARTHEST_DAY, TODAY) is None
    assert staff_hours.refuse_day(TODAY + staff_hours.FARTHEST_DAY + timedelta(days=1), TODAY)


@pytest.mark.parametrize(
    ("name", "value", "fine"),
    [
        ("meeting_minutes", 5, True),
        ("meeting_minutes", 4, False),
        ("meeting_minutes", 240, True),
        ("buffer_minutes", 0, True),
        ("buffer_minutes", -1, False),
        ("notice_minutes", 10081, False),
        ("window_days", 0, False),
        ("window_days", 90, True),
    ],
)
def test_rules_keep_to_their_bounds(name: str, value: int, fine: bool) -> None:
    assert (staff_hours.rule_problem(name, value) is None) is fine


def test_the_picture_offers_usual_hours_again_only_when_a_day_differs() -> None:
    common = dict(weekly="", typed="", meeting=30, buffer=10, notice=120, window=14, holidays=())
    plain = staff_hours.overview(days=(), **common)  # type: ignore[arg-type]
    assert [b.data for row in plain.buttons for b in row][-1] == "hours:open"
    differs = staff_hours.overview(
        days=(staff_hours.DayLine("mån 28 dec.", "off"),),
        **common,  # type: ignore[arg-type]
    )
    assert [b.data for row in differs.buttons for b in row][-1] == "hours:usual"
    assert all(len(b.data.encode()) <= 64 for row in differs.buttons for b in row)
