"""Booked calls: booking, moving and cancelling, the cells that keep them apart, reminders.

Who gets a time is decided by the database, never by a Python check: a booking takes
its staff member's time as one ``booking_cells`` row per 5-minute cell of
``[start, start + minutes + buffer)``, and the primary key ``(staff_id, cell_at)``
refuses a second booking of any of those cells. Two calls therefore never overlap, nor
come nearer each other than the buffer, whichever process or transaction inserts
second. The cells are written in a SAVEPOINT, so "taken" (an ``IntegrityError``)
rolls back only the attempt, and the update's transaction goes on to answer the resident.

Cancelling and moving are conditional UPDATEs (``WHERE status = 'booked'`` and the
sequence read before): a resident and a staff member pressing Cancel at once change the
booking once. Reminders are rows in ``timers`` (see :mod:`bot.app.timers`), written in the
same transaction as the booking, so a booking never exists without its reminders.

Nothing here commits.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CELL_MINUTES, Booking, BookingCell, Timer

CELL = timedelta(minutes=CELL_MINUTES)
# Reminders before a call (kind: how long before) and when it is over (its number goes).
REMINDERS = {"booking-24h": timedelta(hours=24), "booking-1h": timedelta(hours=1)}
CALL_OVER = "booking-over"


def cells_of(start: datetime, minutes: int, buffer_minutes: int) -> list[datetime]:
    """Return the cells a call takes: every 5-minute cell that ``[start, end + buffer)`` touches.

    Cells are counted from the epoch in UTC, so they line up whatever the time zone.
    """
    seconds = CELL.total_seconds()
    first = math.floor(start.timestamp() / seconds)
    end = start + timedelta(minutes=minutes + buffer_minutes)
    last = math.ceil(end.timestamp() / seconds)
    return [datetime.fromtimestamp(cell * seconds, UTC) for cell in range(first, last)]


async def book(
    session: AsyncSession,
    *,
    resident_id: int,
    staff_id: int,
    start: datetime,
    minutes: int,
    buffer_minutes: int,
    how: str,
    phone: str | None,
    now: datetime,
) -> Booking | None:
    """Book a call and its reminders; None when the time (or its buffer) is already taken.

    Reminders already past at ``now`` are not scheduled.
    """
    try:
        async with session.begin_nested():
            booking = Booking(
                resident_id=resident_id,
                staff_id=staff_id,
                start_at=start,
                minutes=minutes,
                how=how,
                phone=phone if how == "phone" else None,
                status="booked",
                uid=f"{secrets.token_hex(16)}@nara",
                sequence=0,
                created_at=now,
                updated_at=now,
            )
            session.add(booking)
            await session.flush()
            session.add_all(
                BookingCell(staff_id=staff_id, cell_at=cell, booking_id=booking.id)
                for cell in cells_of(start, minutes, buffer_minutes)
            )
            await session.flush()
    except IntegrityError:
        return None
    await _schedule(session, booking, now)
    return booking


async def _schedule(session: AsyncSession, booking: Booking, now: datetime) -> None:
    for kind, before in REMINDERS.items():
        due = booking.start_at - before
        if due > now:
            session.add(Timer(kind=kind, booking_id=booking.id, due_at=due))
    end = booking.start_at + timedelta(minutes=booking.minutes)
    session.add(Timer(kind=CALL_OVER, booking_id=booking.id, due_at=end))
    await session.flush()


async def _unschedule(session: AsyncSession, booking_id: int, now: datetime) -> None:
    await session.execute(
        update(Timer)
        .where(Timer.booking_id == booking_id, Timer.done_at.is_(None))
        .values(done_at=now)
        .execution_options(synchronize_session=False)
    )


async def get_booking(session: AsyncSession, booking_id: int) -> Booking | None:
    """Return a booking read afresh from the database, or None."""
    result = await session.scalars(
        select(Booking).where(Booking.id == booking_id).execution_options(populate_existing=True)
    )
    return result.first()


async def move(
    session: AsyncSession,
    booking: Booking,
    *,
    start: datetime,
    buffer_minutes: int,
    now: datetime,
) -> bool:
    """Move a booked call to ``start`` (same person, length and way); False if taken or changed.

    The old cells go and the new ones come in one savepoint: if any new cell is taken the
    booking keeps its old time and cells. The reminders follow the call.
    """
    seen = booking.sequence
    try:
        async with session.begin_nested():
            changed = await session.execute(
                update(Booking)
                .where(
                    Booking.id == booking.id,
                    Booking.status == "booked",
                    Booking.sequence == seen,
                )
                .values(start_at=start, sequence=seen + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                return False
            await session.execute(delete(BookingCell).where(BookingCell.booking_id == booking.id))
            session.add_all(
                BookingCell(staff_id=booking.staff_id, cell_at=cell, booking_id=booking.id)
                for cell in cells_of(start, booking.minutes, buffer_minutes)
            )
            await session.flush()
    except IntegrityError:
        await session.refresh(booking)
        return False
    await session.refresh(booking)
    await _unschedule(session, booking.id, now)
    await _schedule(session, booking, now)
    return True


async def cancel(session: AsyncSession, booking: Booking, now: datetime) -> bool:
    """Cancel a booked call: its time is free again, no reminder comes, its number goes.

    Returns False when it was already cancelled (someone else pressed first).
    """
    changed = await session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == "booked")
        .values(status="cancelled", sequence=Booking.sequence + 1, phone=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.execute(delete(BookingCell).where(BookingCell.booking_id == booking.id))
    await _unschedule(session, booking.id, now)
    await session.refresh(booking)
    return True


async def forget_number(session: AsyncSession, booking_id: int) -> None:
    """Delete a call's phone number (the call is over)."""
    await session.execute(
        update(Booking)
        .where(Booking.id == booking_id)
        .values(phone=None)
        .execution_options(synchronize_session=False)
    )


async def booked_with(
    session: AsyncSession, staff_ids: Sequence[int], *, since: datetime
) -> list[Booking]:
    """Return the booked (not cancelled) calls of these staff that end after ``since``."""
    if not staff_ids:
        return []
    # A call is at most a day long: those that started a day before may still run.
    result = await session.scalars(
        select(Booking)
        .where(
            Booking.staff_id.in_(staff_ids),
            Booking.status == "booked",
            Booking.start_at > since - timedelta(days=1),
        )
        .order_by(Booking.start_at, Booking.id)
    )
    return [b for b in result if b.start_at + timedelta(minutes=b.minutes) > since]


async def upcoming_of_resident(
    session: AsyncSession, resident_id: int, now: datetime
) -> list[Booking]:
    """Return a resident's booked calls that have not ended, soonest first."""
    result = await session.scalars(
        select(Booking)
        .where(
            Booking.resident_id == resident_id,
            Booking.status == "booked",
            Booking.start_at > now - timedelta(days=1),
        )
        .order_by(Booking.start_at, Booking.id)
    )
    return [b for b in result if b.start_at + timedelta(minutes=b.minutes) > now]


async def between(
    session: AsyncSession, start: datetime, end: datetime, *, staff_id: int | None = None
) -> list[Booking]:
    """Return booked calls starting in ``[start, end)`` (of one staff member), in order."""
    statement = select(Booking).where(
        Booking.status == "booked", Booking.start_at >= start, Booking.start_at < end
    )
    if staff_id is not None:
        statement = statement.where(Booking.staff_id == staff_id)
    return list(await session.scalars(statement.order_by(Booking.start_at, Booking.id)))


async def upcoming(
    session: AsyncSession, now: datetime, *, staff_id: int | None = None
) -> list[Booking]:
    """Return every booked call that has not ended (of one staff member), soonest first."""
    statement = select(Booking).where(
        Booking.status == "booked", Booking.start_at > now - timedelta(days=1)
    )
    if staff_id is not None:
        statement = statement.where(Booking.staff_id == staff_id)
    result = await session.scalars(statement.order_by(Booking.start_at, Booking.id))
    return [b for b in result if b.start_at + timedelta(minutes=b.minutes) > now]


async def remove_all_of(session: AsyncSession, resident_id: int) -> list[Booking]:
    """Delete a resident's bookings, their cells and timers (they asked to be forgotten).

    Returns the calls that were still booked and had not ended, as they were, so the
    staff can be told; the rows are gone.
    """
    rows = list(await session.scalars(select(Booking).where(Booking.resident_id == resident_id)))
    ids = [booking.id for booking in rows]
    if not ids:
        return []
    await session.execute(delete(Timer).where(Timer.booking_id.in_(ids)))
    await session.execute(delete(BookingCell).where(BookingCell.booking_id.in_(ids)))
    await session.execute(delete(Booking).where(Booking.id.in_(ids)))
    for booking in rows:
        session.expunge(booking)
    return [booking for booking in rows if booking.status == "booked"]
