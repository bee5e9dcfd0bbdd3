"""Check-in plans in the database: offered, started, sent, answered, paused, stopped, forgotten.

A plan's next check-in is a row in the shared ``timers`` table (kind ``checkin``), taken
by :func:`storage.casework.take_due_timers` with ``FOR UPDATE SKIP LOCKED``: the timer is
marked done, the check-in is queued in the outbox and the next step's timer is written in
one transaction, so a crash before the commit sends nothing and loses nothing, and a
crash after it leaves the message in the outbox. A unique index keeps one live plan per
resident, another one answer row per step.

Nothing here commits: every function works inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    LIVE_CHECKIN_STATES,
    CheckinAnswer,
    CheckinPlan,
    Resident,
    StaffMember,
    Timer,
)

CHECKIN: str = "checkin"
DIGEST: str = "checkin-digest"


async def live_plan(session: AsyncSession, resident_id: int) -> CheckinPlan | None:
    """Return the resident's offered, active or paused plan, if they have one."""
    result: CheckinPlan | None = await session.scalar(
        select(CheckinPlan).where(
            CheckinPlan.resident_id == resident_id,
            CheckinPlan.status.in_(LIVE_CHECKIN_STATES),
        )
    )
    return result


async def get_plan(session: AsyncSession, plan_id: int) -> CheckinPlan | None:
    """Return a plan by its number."""
    return await session.get(CheckinPlan, plan_id)


async def offer(
    session: AsyncSession, *, resident_id: int, plan: str, staff_id: int | None, now: datetime
) -> CheckinPlan | None:
    """Offer a plan; None when the resident already has a live one (the database decides)."""
    try:
        async with session.begin_nested():
            row = CheckinPlan(
                resident_id=resident_id,
                plan=plan,
                status="offered",
                offered_by=staff_id,
                offered_at=now,
                next_step=0,
                unanswered=0,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
    except IntegrityError:
        return None
    return row


async def schedule(session: AsyncSession, plan: CheckinPlan, due: datetime) -> None:
    """Write the timer of the plan's next check-in (and remember when it is due)."""
    await unschedule(session, plan.id, None)
    session.add(Timer(kind=CHECKIN, checkin_id=plan.id, due_at=due))
    plan.next_due = due
    await session.flush()


async def unschedule(session: AsyncSession, plan_id: int, now: datetime | None) -> None:
    """Drop the plan's pending check-in timer (pause, stop, a new schedule)."""
    await session.execute(
        delete(Timer)
        .where(Timer.checkin_id == plan_id, Timer.done_at.is_(None))
        .execution_options(synchronize_session=False)
    )


async def start(
    session: AsyncSession, plan: CheckinPlan, *, time_of_day: str, now: datetime, first: datetime
) -> bool:
    """Start an offered plan at ``now``; False when it is no longer offered (pressed twice)."""
    result = await session.execute(
        update(CheckinPlan)
        .where(CheckinPlan.id == plan.id, CheckinPlan.status == "offered")
        .values(status="active", started_at=now, time_of_day=time_of_day, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.refresh(plan)
    await schedule(session, plan, first)
    return True


async def set_status(
    session: AsyncSession, plan: CheckinPlan, status: str, now: datetime, *, was: tuple[str, ...]
) -> bool:
    """Move a plan from one of ``was`` to ``status``; False when it was in no such state."""
    result = await session.execute(
        update(CheckinPlan)
        .where(CheckinPlan.id == plan.id, CheckinPlan.status.in_(was))
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.refresh(plan)
    if status != "active":
        await unschedule(session, plan.id, now)
        plan.next_due = None
    return True


async def record_sent(session: AsyncSession, plan: CheckinPlan, step: int, now: datetime) -> None:
    """Remember that a step's check-in went out (its answer row, empty for now)."""
    previous = await session.scalar(
        select(CheckinAnswer)
        .where(CheckinAnswer.plan_id == plan.id, CheckinAnswer.step < step)
        .order_by(CheckinAnswer.step.desc())
        .limit(1)
    )
    if previous is not None and previous.answer is None and previous.words is None:
        plan.unanswered += 1
    session.add(CheckinAnswer(plan_id=plan.id, step=step, sent_at=now))
    plan.next_step = step + 1
    plan.updated_at = now
    await session.flush()


async def answer(
    session: AsyncSession, plan: CheckinPlan, step: int, value: str, now: datetime
) -> bool:
    """Store a face or "call" for a step not yet answered; False for a second press."""
    result = await session.execute(
        update(CheckinAnswer)
        .where(
            CheckinAnswer.plan_id == plan.id,
            CheckinAnswer.step == step,
            CheckinAnswer.answer.is_(None),
        )
        .values(answer=value, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    plan.unanswered = 0
    return True


async def open_answer(
    session: AsyncSession, plan: CheckinPlan, since: datetime
) -> CheckinAnswer | None:
    """The latest check-in sent after ``since`` that has no words yet (room to write)."""
    result: CheckinAnswer | None = await session.scalar(
        select(CheckinAnswer)
        .where(
            CheckinAnswer.plan_id == plan.id,
            CheckinAnswer.sent_at >= since,
            CheckinAnswer.words.is_(None),
        )
        .order_by(CheckinAnswer.step.desc())
        .limit(1)
    )
    return result


async def add_words(session: AsyncSession, row: CheckinAnswer, words: str, now: datetime) -> None:
    """Keep what the resident wrote to a check-in (already scrubbed)."""
    row.words = words[:2000]
    row.answered_at = row.answered_at or now
    plan = await session.get(CheckinPlan, row.plan_id)
    if plan is not None:
        plan.unanswered = 0
    await session.flush()


async def recent_answers(
    session: AsyncSession, plan_id: int, limit: int = 5
) -> list[CheckinAnswer]:
    """The plan's answered check-ins, newest first."""
    return list(
        await session.scalars(
            select(CheckinAnswer)
            .where(CheckinAnswer.plan_id == plan_id, CheckinAnswer.answered_at.is_not(None))
            .order_by(CheckinAnswer.step.desc())
            .limit(limit)
        )
    )


async def pause_blocked(session: AsyncSession, chat_id: int, now: datetime) -> int:
    """A resident blocked the bot (403): mark them, pause their plan; return plans paused."""
    resident = await session.scalar(select(Resident).where(Resident.chat_id == chat_id))
    if resident is None:
        return 0
    resident.blocked_at = resident.blocked_at or now
    plan = await live_plan(session, resident.id)
    if plan is None or plan.status != "active":
        return 0
    return int(await set_status(session, plan, "paused", now, was=("active",)))


async def forget(session: AsyncSession, resident_id: int) -> int:
    """Delete the resident's plans, answers and check-in timers; return plans deleted."""
    ids = list(
        await session.scalars(select(CheckinPlan.id).where(CheckinPlan.resident_id == resident_id))
    )
    if not ids:
        return 0
    await session.execute(delete(Timer).where(Timer.checkin_id.in_(ids)))
    await session.execute(delete(CheckinAnswer).where(CheckinAnswer.plan_id.in_(ids)))
    await session.execute(delete(CheckinPlan).where(CheckinPlan.id.in_(ids)))
    return len(ids)


async def ensure_digest(session: AsyncSession, due: datetime) -> None:
    """Make sure one morning digest is pending (a unique index refuses a second)."""
    pending = await session.scalar(
        select(Timer.id).where(Timer.kind == DIGEST, Timer.done_at.is_(None))
    )
    if pending is not None:
        return
    try:
        async with session.begin_nested():
            session.add(Timer(kind=DIGEST, due_at=due))
            await session.flush()
    except IntegrityError:
        return


@dataclass(frozen=True)
class DigestEntry:
    """One resident on a plan, as their contact's morning digest lists them."""

    resident_id: int
    # No names are stored: the digest links to the person's Telegram profile instead.
    telegram_user_id: int
    answers: tuple[tuple[str | None, bool], ...]  # (answer, wrote words), since yesterday
    unanswered: int


async def digest_for(
    session: AsyncSession, staff_id: int | None, since: datetime
) -> list[DigestEntry]:
    """Residents on live plans whose contact is ``staff_id`` (None: no contact), with news."""
    contact = Resident.contact_id.is_(None) if staff_id is None else Resident.contact_id == staff_id
    plans = (
        await session.execute(
            select(CheckinPlan, Resident)
            .join(Resident, Resident.id == CheckinPlan.resident_id)
            .where(contact, CheckinPlan.status.in_(("active", "paused")))
            .order_by(CheckinPlan.id)
        )
    ).all()
    entries = []
    for plan, resident in plans:
        rows = list(
            await session.scalars(
                select(CheckinAnswer)
                .where(CheckinAnswer.plan_id == plan.id, CheckinAnswer.answered_at >= since)
                .order_by(CheckinAnswer.step)
            )
        )
        if not rows and plan.unanswered < 2:
            continue
        entries.append(
            DigestEntry(
                resident_id=resident.id,
                telegram_user_id=resident.telegram_user_id,
                answers=tuple((row.answer, row.words is not None) for row in rows),
                unanswered=plan.unanswered,
            )
        )
    return entries


async def contacts_with_plans(session: AsyncSession) -> list[StaffMember | None]:
    """Staff whose residents are on a plan (None stands for the reception team)."""
    ids = set(
        await session.scalars(
            select(Resident.contact_id)
            .join(CheckinPlan, CheckinPlan.resident_id == Resident.id)
            .where(CheckinPlan.status.in_(("active", "paused")))
        )
    )
    staff: list[StaffMember | None] = [None] if None in ids else []
    wanted = [i for i in ids if i is not None]
    if wanted:
        staff.extend(
            await session.scalars(
                select(StaffMember).where(StaffMember.id.in_(wanted)).order_by(StaffMember.id)
            )
        )
    return staff


@dataclass(frozen=True)
class ReportRow:
    """One check-in sent, as the report counts it (no identities)."""

    plan: str
    locale: str
    step: int
    steps_total: int
    week: str
    answer: str | None
    words: str | None


async def report_rows(session: AsyncSession, since: datetime) -> list[ReportRow]:
    """Every check-in sent since ``since``, with its plan, language, week and answer."""
    rows = (
        await session.execute(
            select(CheckinAnswer, CheckinPlan.plan, Resident.locale)
            .join(CheckinPlan, CheckinPlan.id == CheckinAnswer.plan_id)
            .join(Resident, Resident.id == CheckinPlan.resident_id)
            .where(CheckinAnswer.sent_at >= since)
            .order_by(CheckinAnswer.sent_at)
        )
    ).all()
    result = []
    for row, plan, locale in rows:
        sent = row.sent_at
        monday = (sent - timedelta(days=sent.weekday())).date()
        result.append(
            ReportRow(
                plan=plan,
                locale=locale,
                step=row.step,
                steps_total=0,
                week=monday.isoformat(),
                answer=row.answer,
                words=row.words,
            )
        )
    return result


async def count_live(session: AsyncSession) -> int:
    """Plans that are active or paused (for the report's heading)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(CheckinPlan)
            .where(CheckinPlan.status.in_(("active", "paused")))
        )
        or 0
    )
