"""When a person at social services reads messages: office hours, as plain values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class OfficeHours:
    """Opening and closing time on weekdays (Monday to Friday)."""

    opens: time
    closes: time

    @classmethod
    def parse(cls, span: str) -> OfficeHours:
        """Read ``"08:00-16:00"``; raise ValueError when it is not a valid span of one day."""
        match = _SPAN.match(span)
        if not match:
            raise ValueError("must look like 08:00-16:00")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError("must use times between 00:00 and 23:59")
        opens, closes = time(h1, m1), time(h2, m2)
        if closes <= opens:
            raise ValueError("must close after it opens")
        return cls(opens, closes)

    def is_open(self, local: datetime) -> bool:
        """Tell whether a person is at work at this local time."""
        return local.weekday() < 5 and self.opens <= local.time() < self.closes

    def next_opening(self, local: datetime) -> datetime:
        """Return the next local time a person is at work (``local`` itself if open now)."""
        if self.is_open(local):
            return local
        day = local.date()
        if local.weekday() < 5 and local.time() < self.opens:
            return datetime.combine(day, self.opens, local.tzinfo)
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return datetime.combine(day, self.opens, local.tzinfo)
