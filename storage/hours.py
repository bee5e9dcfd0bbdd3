"""When each staff member takes calls: weekly hours, the rules around each call, and days.

What booking reads (kept stable; other modules call these)::

    async def availability_of(session, staff_id: int) -> Availability | None
        # One staff member's hours, rules and every day that differs from the weekly
        # hours. None when they have no weekly hours, or are no longer staff.

    async def staff_with_hours(session) -> list[tuple[StaffMember, Availability]]
        # Every active staff member with weekly hours, by id (the reception team, in a
        # stable order for ties), each with their Availability.

Public holidays are not stored: they come from :class:`flows.calls.availability.PublicHolidays`
for the municipality's country (``Settings.public_holidays``); a day stored here wins
over them, so an "open" day opens a holiday and an "off" or "sick" day closes any day.

The weekly hours are stored in the notation of :mod:`flows.calls.availability`, as
:meth:`~flows.calls.availability.WeeklyHours.format` writes it, so what a staff member sees is
what they typed, tidied. "Which write wins" is decided by the database: each write is one
``INSERT ... ON CONFLICT DO UPDATE`` on the primary key or the unique (staff, day) index.
Nothing here commits: the caller's transaction keeps a day and what it causes (the
cancelled calls of a sick day) together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Final, Literal

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.availability import (
    Availability,
    DayException,
    TimeRange,
    WeeklyHours,
    format_ranges,
    parse_ranges,
)
from storage.models import StaffDay, StaffHours, StaffMember

DayKind = Literal["off", "sick", "open"]
DAY_KINDS: Final = ("off", "sick", "open")
# The rules a staff member may change besides the weekly hours; the columns have the same names.
RULES: Final = ("meeting_minutes", "buffer_minutes", "notice_minutes", "window_days")


def _insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    # Both dialects spell "insert or update" the same way, from different modules.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- what booking reads -------------------------------------------------------------------


async def availability_of(session: AsyncSession, staff_id: int) -> Availability | None:
    """Return a staff member's availability with every day that differs, or None.

    None when they have no weekly hours (never set, or set empty) or are no longer staff:
    nobody can book them then.
    """
    row = (
        await session.execute(
            select(StaffHours)
            .join(StaffMember, StaffMember.id == StaffHours.staff_id)
            .where(
                StaffHours.staff_id == staff_id,
                StaffHours.weekly != "",
                StaffMember.removed_at.is_(None),
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return availability_from(row, await days_of(session, staff_id))


async def staff_with_hours(session: AsyncSession) -> list[tuple[StaffMember, Availability]]:
    """Return every active staff member with weekly hours and their availability, by id."""
    rows = (
        await session.execute(
            select(StaffMember, StaffHours)
            .join(StaffHours, StaffHours.staff_id == StaffMember.id)
            .where(StaffMember.removed_at.is_(None), StaffHours.weekly != "")
            .order_by(StaffMember.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    if not rows:
        return []
    days = await session.scalars(
        select(StaffDay).where(StaffDay.staff_id.in_([member.id for member, _ in rows]))
    )
    by_staff: dict[int, list[StaffDay]] = {}
    for day in days:
        by_staff.setdefault(day.staff_id, []).append(day)
    return [
        (member, availability_from(hours, by_staff.get(member.id, ()))) for member, hours in rows
    ]


def availability_from(hours: StaffHours, days: Iterable[StaffDay]) -> Availability:
    """Return the :class:`Availability` that stored hours and days describe."""
    return Availability(
        WeeklyHours.parse(hours.weekly),
        tuple(_exception(day) for day in days),
        meeting_minutes=hours.meeting_minutes,
        buffer_minutes=hours.buffer_minutes,
        notice_minutes=hours.notice_minutes,
        window_days=hours.window_days,
    )


def _exception(day: StaffDay) -> DayException:
    if day.kind == "open":
        return DayException(day.day, parse_ranges(day.hours))
    return DayException.off(day.day)


# --- weekly hours and rules ---------------------------------------------------------------


async def hours_of(session: AsyncSession, staff_id: int) -> StaffHours | None:
    """Return what a staff member has set, read afresh, or None when they set nothing yet."""
    result = await session.scalars(
        select(StaffHours)
        .where(StaffHours.staff_id == staff_id)
        .execution_options(populate_existing=True)
    )
    return result.first()


async def set_hours(
    session: AsyncSession,
    staff_id: int,
    *,
    now: datetime,
    weekly: WeeklyHours | None = None,
    meeting_minutes: int | None = None,
    buffer_minutes: int | None = None,
    notice_minutes: int | None = None,
    window_days: int | None = None,
) -> StaffHours:
    """Set a staff member's weekly hours and rules; what is not given stays as it was.

    Someone with nothing set yet gets the defaults (30-minute calls, 10 minutes between,
    2 hours' notice, 14 days ahead) for what is not given, and no weekly hours unless
    given. The values are checked by the caller (:mod:`flows.calls.staff_hours`).

    Returns:
        The staff member's hours as they now are.

    Raises:
        IntegrityError: no staff member has this id.
    """
    given: dict[str, Any] = {
        name: value
        for name, value in zip(
            RULES, (meeting_minutes, buffer_minutes, notice_minutes, window_days), strict=True
        )
        if value is not None
    }
    if weekly is not None:
        given["weekly"] = weekly.format()
    defaults = {column: StaffHours.__table__.c[column].default.arg for column in RULES}
    insert = _insert(session, StaffHours.__table__)  # type: ignore[arg-type]
    await session.execute(
        insert.values({"staff_id": staff_id, "weekly": "", **defaults, **given, "updated_at": now})
        .on_conflict_do_update(index_elements=["staff_id"], set_={**given, "updated_at": now})
        .execution_options(synchronize_session=False)
    )
    found = await hours_of(session, staff_id)
    assert found is not None, f"hours of staff {staff_id} vanished inside their own transaction"
    return found


# --- days that differ ---------------------------------------------------------------------


async def days_of(
    session: AsyncSession, staff_id: int, *, since: date | None = None
) -> list[StaffDay]:
    """Return a staff member's days that differ from the weekly hours, in date order."""
    statement = select(StaffDay).where(StaffDay.staff_id == staff_id)
    if since is not None:
        statement = statement.where(StaffDay.day >= since)
    result = await session.scalars(
        statement.order_by(StaffDay.day).execution_options(populate_existing=True)
    )
    return list(result)


async def day_of(session: AsyncSession, staff_id: int, day: date) -> StaffDay | None:
    """Return what a staff member set for one date, or None when it follows the usual hours."""
    result = await session.scalars(
        select(StaffDay)
        .where(StaffDay.staff_id == staff_id, StaffDay.day == day)
        .execution_options(populate_existing=True)
    )
    return result.first()


async def set_day(
    session: AsyncSession,
    staff_id: int,
    day: date,
    kind: DayKind,
    hours: Iterable[TimeRange] = (),
) -> bool:
    """Make one date a day off, a sick day, or a day with its own hours ("open").

    It replaces whatever that date had. Of two writes of the same day at once, the
    database orders them, and only one of two identical ones reports a change: a sick day
    is recorded once, so its calls are cancelled once.

    Args:
        session: The caller's session, inside a transaction.
        staff_id: The staff member.
        day: The local date (in the municipality's time zone).
        kind: "off" (leave), "sick" (a sick day: its calls are cancelled by the caller),
            or "open" (its own hours, e.g. working on a public holiday).
        hours: For "open" only: that day's hours, in order.

    Returns:
        True when the date changed, False when it was already exactly so.

    Raises:
        ValueError: an "open" day without hours, or another day with hours.
    """
    if kind not in DAY_KINDS:
        raise ValueError(f"not a kind of day: {kind!r}")
    written = format_ranges(hours)
    if (kind == "open") != bool(written):
        raise ValueError("an open day needs its hours, and only an open day has hours")
    insert = _insert(session, StaffDay.__table__)  # type: ignore[arg-type]
    changed = await session.scalar(
        insert.values(staff_id=staff_id, day=day, kind=kind, hours=written)
        .on_conflict_do_update(
            index_elements=["staff_id", "day"],
            set_={"kind": insert.excluded.kind, "hours": insert.excluded.hours},
            where=or_(
                StaffDay.kind != insert.excluded.kind, StaffDay.hours != insert.excluded.hours
            ),
        )
        .returning(StaffDay.id)
    )
    return changed is not None


async def clear_day(session: AsyncSession, staff_id: int, day: date) -> str | None:
    """Let a date follow the usual hours again; return the kind it had, or None if none."""
    removed = await session.scalar(
        delete(StaffDay)
        .where(StaffDay.staff_id == staff_id, StaffDay.day == day)
        .returning(StaffDay.kind)
    )
    return str(removed) if removed is not None else None
