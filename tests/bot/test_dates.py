"""Days and times written out as each language writes them (booked calls, reminders)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import clock, day_and_time, written_day

MOMENT = datetime(2027, 3, 8, 9, 40, tzinfo=ZoneInfo("Europe/Stockholm"))


def _written(locale: str) -> str:
    return day_and_time(written_day(MOMENT, locale), clock(MOMENT, locale), locale)


def test_english_puts_a_comma_between_the_day_and_the_time() -> None:
    assert _written("en") == "Monday, March 8, 9:40\u202fAM"


def test_swedish_and_finnish_write_the_day_then_the_time() -> None:
    assert _written("sv") == "måndag 8 mars 09:40"
    assert _written("fi").endswith(" 9.40")


def test_arabic_uses_the_arabic_comma() -> None:
    assert "،" in _written("ar")
