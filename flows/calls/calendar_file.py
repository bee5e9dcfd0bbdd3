"""The calendar file (.ics) sent with a booked, moved or cancelled call.

One event per booking, built with ``icalendar`` (RFC 5545, with RFC 5546 methods):

- ``UID`` is the booking's own and never changes, so a calendar app updates the event it
  already has instead of adding a second one;
- ``SEQUENCE`` rises with every change (a move, a cancel): apps ignore a file older than
  the event they hold;
- a cancelled call is sent as ``METHOD:CANCEL`` with ``STATUS:CANCELLED``: only the
  CANCEL method removes the event (a REQUEST with a cancelled status leaves it there).

Times are written in the municipality's zone with its ``VTIMEZONE``, so the call stays at
the same wall-clock time whatever zone the resident's phone is set to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from icalendar import STATUS, Calendar, Event

PRODUCT_ID: Final = "-//Nära//booking//EN"
MEDIA_TYPE: Final = "text/calendar"


@dataclass(frozen=True)
class CalendarCall:
    """What the file says about one call (texts already in the resident's language)."""

    uid: str
    sequence: int
    start: datetime
    minutes: int
    title: str
    description: str = ""
    cancelled: bool = False


def calendar_file(call: CalendarCall, zone: ZoneInfo, *, stamp: datetime) -> bytes:
    """Return the .ics file of one call: a REQUEST for a booked call, a CANCEL otherwise.

    ``stamp`` is when the file is made (``DTSTAMP``).
    """
    start = call.start.astimezone(zone)
    event = Event.new(
        uid=call.uid,
        sequence=call.sequence,
        start=start,
        end=start + timedelta(minutes=call.minutes),
        stamp=stamp,
        summary=call.title,
        description=call.description or None,
        status=STATUS.CANCELLED if call.cancelled else STATUS.CONFIRMED,
    )
    calendar = Calendar.new(
        method="CANCEL" if call.cancelled else "REQUEST",
        prodid=PRODUCT_ID,
        subcomponents=[event],
    )
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def file_name(number: int) -> str:
    """The name the file is sent under."""
    return f"call-{number}.ics"
