"""The sandbox bot's clock, which the page moves forward so weeks pass in a click.

Check-ins come weeks apart and booking reminders a day ahead: a newcomer trying the bot
should not have to wait for them. The sandbox's bot runs on :class:`SandboxClock`, real
time plus an offset that only grows; timers, the outbox and every reply take "now" from
it (see ``Nara(clock=...)``), so what falls due fires on the timers' next tick. The real
bot's clock (:func:`bot.core.courier.utcnow`) is never touched.

Only forward: the bot's stored times (sent check-ins, taken timers, handled updates)
assume time does not run backwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.core.settings import Settings

# One step at most a year: enough for the year-later check-in, and far from datetime's end.
MOST_MINUTES = 366 * 24 * 60


class SandboxClock:
    """Real time (or a test's clock) plus how far the sandbox page moved it forward."""

    def __init__(self, base: Callable[[], datetime]) -> None:
        self.base = base
        self.moved = timedelta(0)

    def __call__(self) -> datetime:
        """Return the bot's "now"."""
        return self.base() + self.moved

    def advance(self, delta: timedelta) -> None:
        """Move the clock ``delta`` forward.

        Raises:
            ValueError: ``delta`` is not forward.
        """
        if delta <= timedelta(0):
            raise ValueError("the clock only moves forward")
        self.moved += delta


def minutes_forward(body: object) -> timedelta:
    """Read ``{"minutes": N}`` sent by the page: a whole number of minutes, forward.

    Raises:
        ValueError: with a message for the person (or script) that sent it.
    """
    minutes = body.get("minutes") if isinstance(body, dict) else None
    # bool is an int in Python: {"minutes": true} is a mistake, not one minute.
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise ValueError('send JSON like {"minutes": 60}: a whole number of minutes')
    if minutes < 1:
        raise ValueError(f"minutes must be 1 or more, not {minutes}: the clock only moves forward")
    if minutes > MOST_MINUTES:
        raise ValueError(f"minutes must be at most {MOST_MINUTES} (366 days) at a time")
    return timedelta(minutes=minutes)


def clock_view(clock: SandboxClock, settings: Settings) -> dict[str, Any]:
    """The bot's time as the page shows it: in ``NARA_TIMEZONE``, and how far ahead it is."""
    return {
        "now": clock().astimezone(settings.zone).isoformat(timespec="seconds"),
        "timezone": settings.timezone,
        "ahead_minutes": int(clock.moved.total_seconds() // 60),
        "quiet_hours": settings.quiet_hours,
    }
