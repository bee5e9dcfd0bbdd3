"""Booking's pure core: button data read back (and forgeries refused), texts, the .ics file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from flows.calls import booking
from flows.calls.calendar_file import CalendarCall, calendar_file, file_name

ZONE = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm


def every_data(reply: booking.Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


def test_every_button_reads_back_as_what_it_was_made_for() -> None:
    day = date(2026, 12, 8)
    assert booking.read_press(booking.days_data(None, None)) == booking.Press(booking.Action.DAYS)
    assert booking.read_press(booking.days_data(7, day)) == booking.Press(
        booking.Action.DAYS, booking=7, day=day
    )
    assert booking.read_press(booking.day_data(None, day)) == booking.Press(
        booking.Action.DAY, day=day
    )
    assert booking.read_press(booking.time_data(12, START, 3)) == booking.Press(
        booking.Action.AT, booking=12, at=START, staff=3
    )
    for way in booking.WAYS:
        assert booking.read_press(booking.how_data(START, 0, way)) == booking.Press(
            booking.Action.HOW, at=START, staff=0, how=way
        )
    for action in (booking.Action.MOVE, booking.Action.CANCEL, booking.Action.CANCEL_YES):
        assert booking.read_press(booking.booking_data(action, 99)) == booking.Press(
            action, booking=99
        )


@pytest.mark.parametrize(
    "data",
    [
        "",
        "bk",
        "bk:",
        "book:reception",
        "bk:nope:1",
        "bk:x:",
        "bk:x:0",
        "bk:x:-1",
        "bk:x:1:2",
        "bk:x:abc",
        "bk:day:0:20261332",
        "bk:day:0:2026128",
        "bk:day:x:20261208",
        "bk:days:0:notadate",
        "bk:at:0:29000000",
        "bk:at:0:-5:1",
        "bk:how:29000000:1:z",
        "bk:how:29000000:one:p",
        "bk:mv:1234567890123",
        "case:claim:1",
    ],
)
def test_forged_or_foreign_data_is_refused(data: str) -> None:
    assert booking.read_press(data) is None


def test_button_data_stays_within_telegrams_64_bytes() -> None:
    far = datetime(2099, 12, 31, 23, 0, tzinfo=UTC)
    longest = [
        booking.time_data(999_999_999_999, far, 999_999_999_999),
        booking.how_data(far, 999_999_999_999, "in-person"),
        booking.days_data(999_999_999_999, date(2099, 12, 31)),
        booking.booking_data(booking.Action.CANCEL_YES, 999_999_999_999),
    ]
    assert all(len(data.encode()) <= 64 for data in longest)


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("070-123 45 67", "0701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        (" (08) 123 456 ", "08123456"),
        ("040.123.4567", "0401234567"),
    ],
)
def test_a_written_number_is_tidied(written: str, number: str) -> None:
    assert booking.read_phone(written) == number


@pytest.mark.parametrize(
    "written", ["070 12", "call me", "070 123 45 67 ext 2", "++46701234567", "1" * 16, ""]
)
def test_what_is_not_a_number_is_refused(written: str) -> None:
    assert booking.read_phone(written) is None


def test_days_come_as_buttons_with_other_days_and_the_reception_team_is_named() -> None:
    days = [(date(2026, 12, 8), "tisdag 8 december"), (date(2026, 12, 9), "onsdag 9 december")]
    reply = booking.choose_day(booking.Offer(None), days, date(2026, 12, 9))
    assert [b.label.msgid for row in reply.buttons for b in row][:2] == [label for _, label in days]
    assert every_data(reply)[-1] == booking.days_data(None, date(2026, 12, 9))
    assert "reception team" in reply.paragraphs[-1].msgid
    named = booking.choose_day(booking.Offer("Sara"), days, None)
    assert named.paragraphs[-1].params == {"name": "Sara"} and len(named.buttons) == 2


def test_no_free_day_offers_a_person_instead() -> None:
    reply = booking.choose_day(booking.Offer("Sara"), (), None, note=booking.note_for("taken"))
    assert reply.paragraphs[0].msgid == booking.TAKEN
    assert every_data(reply) == [booking.PERSON_BUTTON]


def test_times_come_three_to_a_row_and_carry_who_they_are_with() -> None:
    times = [(START + timedelta(minutes=40 * n), f"t{n}", 4) for n in range(4)]
    reply = booking.choose_time(booking.Offer("Sara", moving=5), "tisdag", times)
    assert [len(row) for row in reply.buttons] == [3, 1, 1]
    pressed = booking.read_press(reply.buttons[1][0].data)
    assert pressed == booking.Press(
        booking.Action.AT, booking=5, at=START + timedelta(minutes=120), staff=4
    )


def test_the_usual_way_to_talk_comes_first() -> None:
    reply = booking.choose_how(START, 2, "tisdag 09:00", name="Sara", preferred="in-person")
    ways = [booking.read_press(data).how for data in every_data(reply)]  # type: ignore[union-attr]
    assert ways == ["in-person", "phone", "video"]


def test_the_reasons_a_time_cannot_be_booked_are_told_kindly() -> None:
    assert booking.note_for("taken").msgid == booking.TAKEN
    assert booking.note_for("passed").msgid == booking.PASSED
    assert booking.note_for("too-soon").msgid == booking.TOO_LATE
    assert booking.note_for("outside-hours").msgid == booking.GONE


def test_a_confirmation_says_when_with_whom_how_and_offers_move_and_cancel() -> None:
    call = booking.CallView(7, "tisdag 8 december 09:00–09:30", "Sara", "phone", "0701234567")
    reply = booking.booked(call)
    params = [dict(text.params) for text in reply.paragraphs]
    assert {"when": call.when} in params and {"name": "Sara", "phone": "0701234567"} in params
    assert every_data(reply) == ["bk:mv:7", "bk:x:7"]
    video = booking.booked(booking.CallView(7, "x", "Sara", "video"))
    assert not any("phone" in text.params for text in video.paragraphs)


def test_the_calendar_file_keeps_its_uid_raises_its_sequence_and_cancels() -> None:
    call = CalendarCall("abc@nara", 0, START, 30, "Samtal med Sara")
    first = Calendar.from_ical(calendar_file(call, ZONE, stamp=START))
    (event,) = first.walk("VEVENT")
    assert first["METHOD"] == "REQUEST"
    assert (str(event["UID"]), int(event["SEQUENCE"])) == ("abc@nara", 0)
    assert event.decoded("DTSTART") == datetime(2026, 12, 8, 9, 0, tzinfo=ZONE)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)
    assert first.walk("VTIMEZONE"), "the zone travels with the file"

    moved = CalendarCall("abc@nara", 1, START + timedelta(hours=2), 30, "Samtal med Sara")
    (event,) = Calendar.from_ical(calendar_file(moved, ZONE, stamp=START)).walk("VEVENT")
    assert (str(event["UID"]), int(event["SEQUENCE"])) == ("abc@nara", 1)

    gone = CalendarCall("abc@nara", 2, START, 30, "Samtal med Sara", cancelled=True)
    cancelled = Calendar.from_ical(calendar_file(gone, ZONE, stamp=START))
    (event,) = cancelled.walk("VEVENT")
    assert cancelled["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert int(event["SEQUENCE"]) == 2
    assert file_name(7) == "call-7.ics"
