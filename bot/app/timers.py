"""Timers from the database, run when due: cases, questions, calls, check-ins, digests.

A booked call's timers (its reminders, and the moment it is over) are written in the
same transaction as the booking; a move or cancel marks them done in its own.

Timers live in the ``timers`` table, so they survive restarts. Each run takes the due
ones in one transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, see
:func:`storage.casework.take_due_timers`): two processes never take the same timer, and
if the work fails, the transaction rolls back and the timers are taken again later.
"""

from __future__ import annotations

from bot.calls import booking, checkins
from bot.cases import casework, safety_check
from bot.core.turn import Turn
from storage.casework import take_due_timers
from storage.checkins import DIGEST

# Timers taken in one transaction: a batch that fails is retried whole, so keep it small.
BATCH = 50


async def run_due_timers(turn: Turn) -> int:
    """Run up to :data:`BATCH` timers whose time has come; return how many ran."""
    timers = await take_due_timers(turn.session, turn.now, limit=BATCH)
    for timer in timers:
        if timer.checkin_id is not None:
            await checkins.run_checkin_timer(turn, timer)
        elif timer.kind == DIGEST:
            await checkins.run_digest_timer(turn, timer)
        elif timer.booking_id is not None:
            await booking.run_booking_timer(turn, timer)
        elif timer.resident_id is not None:
            await safety_check.question_unanswered(turn, timer)
        else:
            await casework.run_case_timer(turn, timer)
    return len(timers)
