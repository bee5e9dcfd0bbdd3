"""Bookings on real SQLite and real PostgreSQL: cells refuse overlaps, moves, cancels, timers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import bookings, queries
from storage.db import Database
from storage.models import Booking, BookingCell, Timer

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
TEN = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


async def add_resident(db: Database, user: int) -> int:
    async with db.session() as session, session.begin():
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=user, chat_id=user, locale="sv", now=NOW
        )
    return resident.id


async def add_staff(db: Database, user: int = 900, name: str = "Sara") -> int:
    async with db.session() as session, session.begin():
        member = await queries.add_staff_member(
            session, telegram_user_id=user, name=name, role="caseworker", now=NOW
        )
    return member.id


async def book(
    db: Database, resident_id: int, staff_id: int, start: datetime, how: str = "video"
) -> Booking | None:
    async with db.session() as session, session.begin():
        return await bookings.book(
            session,
            resident_id=resident_id,
            staff_id=staff_id,
            start=start,
            minutes=30,
            buffer_minutes=10,
            how=how,
            phone="0701234567" if how == "phone" else None,
            now=NOW,
        )


def test_cells_cover_the_call_and_its_buffer_in_five_minute_steps() -> None:
    cells = bookings.cells_of(TEN, 30, 10)
    assert len(cells) == 8
    assert cells[0] == TEN and cells[-1] == TEN + timedelta(minutes=35)
    # A start off the grid takes every cell it touches.
    odd = bookings.cells_of(TEN + timedelta(minutes=2), 30, 10)
    assert odd[0] == TEN and odd[-1] == TEN + timedelta(minutes=40)


async def test_a_booking_takes_cells_and_refuses_an_overlap_or_the_buffer(db: Database) -> None:
    staff = await add_staff(db)
    amal, omar = await add_resident(db, 1), await add_resident(db, 2)
    first = await book(db, amal, staff, TEN)
    assert first is not None and first.uid.endswith("@nara") and first.sequence == 0
    # Same time, 20 minutes later (overlap), 35 minutes later (inside the 10-minute buffer).
    for later in (0, 20, 35):
        assert await book(db, omar, staff, TEN + timedelta(minutes=later)) is None
    # 40 minutes later: the buffer has passed.
    assert await book(db, omar, staff, TEN + timedelta(minutes=40)) is not None
    # Before: a call from 08:20 ends 08:50, its buffer 09:00: it fits exactly.
    assert await book(db, omar, staff, TEN - timedelta(minutes=40)) is not None
    assert await book(db, omar, staff, TEN - timedelta(minutes=35)) is None
    async with db.session() as session:
        count = await session.scalar(select(func.count()).select_from(Booking))
        assert count == 3


async def test_fifty_at_once_leave_exactly_one_booking(db: Database) -> None:
    staff = await add_staff(db)
    residents = [await add_resident(db, user) for user in range(1, 51)]
    results = await asyncio.gather(*(book(db, resident, staff, TEN) for resident in residents))
    won = [result for result in results if result is not None]
    assert len(won) == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 1
        cells = await session.scalars(select(BookingCell.booking_id))
        assert set(cells) == {won[0].id}


async def test_reminders_are_scheduled_unless_already_past(db: Database) -> None:
    staff = await add_staff(db)
    amal = await add_resident(db, 1)
    # Booked 25 hours ahead: both reminders and the end; 3 hours ahead: no 24-hour one.
    far = await book(db, amal, staff, NOW + timedelta(hours=25))
    near = await book(db, amal, staff, NOW + timedelta(hours=3))
    assert far is not None and near is not None
    async with db.session() as session:
        rows = (await session.execute(select(Timer.booking_id, Timer.kind, Timer.due_at))).all()
    by_booking: dict[int, dict[str, datetime]] = {}
    for booking_id, kind, due in rows:
        by_booking.setdefault(booking_id, {})[kind] = due
    assert by_booking[far.id] == {
        "booking-24h": NOW + timedelta(hours=1),
        "booking-1h": NOW + timedelta(hours=24),
        "booking-over": NOW + timedelta(hours=25, minutes=30),
    }
    assert set(by_booking[near.id]) == {"booking-1h", "booking-over"}


async def test_moving_frees_the_old_time_and_refuses_a_taken_one(db: Database) -> None:
    staff = await add_staff(db)
    amal, omar = await add_resident(db, 1), await add_resident(db, 2)
    first = await book(db, amal, staff, TEN + timedelta(hours=1))
    other = await book(db, omar, staff, TEN + timedelta(hours=2))
    assert first is not None and other is not None
    async with db.session() as session, session.begin():
        call = await bookings.get_booking(session, first.id)
        assert call is not None
        # Onto the other call: refused, and the booking keeps its time and cells.
        taken = await bookings.move(
            session, call, start=TEN + timedelta(hours=2), buffer_minutes=10, now=NOW
        )
        assert not taken and call.start_at == TEN + timedelta(hours=1) and call.sequence == 0
        # Half an hour later, overlapping its own old time: fine.
        assert await bookings.move(
            session, call, start=TEN + timedelta(hours=1, minutes=20), buffer_minutes=10, now=NOW
        )
        assert call.sequence == 1 and call.uid == first.uid
    # The old time is free again for someone else.
    assert await book(db, omar, staff, TEN) is not None
    async with db.session() as session:
        pending = (
            await session.execute(
                select(Timer.kind, Timer.due_at).where(
                    Timer.booking_id == first.id, Timer.done_at.is_(None)
                )
            )
        ).all()
        assert dict(pending)["booking-1h"] == TEN + timedelta(minutes=20)


async def test_a_cancel_frees_the_time_forgets_the_number_and_wins_once(db: Database) -> None:
    staff = await add_staff(db)
    amal, omar = await add_resident(db, 1), await add_resident(db, 2)
    first = await book(db, amal, staff, TEN, how="phone")
    assert first is not None and first.phone == "0701234567"

    async def cancel() -> bool:
        async with db.session() as session, session.begin():
            call = await bookings.get_booking(session, first.id)
            assert call is not None
            return await bookings.cancel(session, call, NOW)

    results = await asyncio.gather(cancel(), cancel())
    assert sorted(results) == [False, True]
    async with db.session() as session:
        call = await bookings.get_booking(session, first.id)
        assert call is not None
        assert (call.status, call.sequence, call.phone) == ("cancelled", 1, None)
        pending = await session.scalar(
            select(func.count()).select_from(Timer).where(Timer.done_at.is_(None))
        )
        assert pending == 0
    assert await book(db, omar, staff, TEN) is not None


async def test_forgetting_a_resident_removes_their_bookings_cells_and_timers(
    db: Database,
) -> None:
    staff = await add_staff(db)
    amal, omar = await add_resident(db, 1), await add_resident(db, 2)
    mine = await book(db, amal, staff, TEN)
    theirs = await book(db, omar, staff, TEN + timedelta(hours=1))
    assert mine is not None and theirs is not None
    async with db.session() as session, session.begin():
        gone = await bookings.remove_all_of(session, amal)
        assert [call.id for call in gone] == [mine.id]
        resident = await queries.find_resident(session, 1)
        assert resident is not None
        assert await queries.forget_resident(session, resident)
    async with db.session() as session:
        assert [b.id for b in await session.scalars(select(Booking))] == [theirs.id]
        owners = set(await session.scalars(select(BookingCell.booking_id)))
        assert owners == {theirs.id}
        timer_owners = set(await session.scalars(select(Timer.booking_id)))
        assert timer_owners == {theirs.id}
