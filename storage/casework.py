"""Cases handed to staff: opening, claiming, closing, timers, the audit log and recent texts.

Every "exactly one wins" here is decided by the database: the partial unique index
``uq_cases_one_active_per_resident``, conditional UPDATEs whose WHERE clause re-checks the
state, and ``FOR UPDATE SKIP LOCKED`` on PostgreSQL. A Python check before a write would
let two concurrent transactions both pass it.

Nothing here commits: every function works inside the caller's transaction, so a case,
its audit entry and the messages about it are kept or lost together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import Table, case, func, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Case, CasePost, Resident, StaffMember, Timer

CaseKind = Literal["urgent", "person"]

RECENT_TEXTS_KEPT = 5
RECENT_TEXT_LENGTH = 1000
RECENT_TEXTS_AGE = timedelta(days=1)


def _insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    # Both dialects spell "insert unless it exists" the same way, from different modules.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _json_or_null(value: Sequence[str] | None) -> Any:
    # A plain None in a JSON column is stored as the JSON text 'null', which IS NOT NULL.
    return list(value) if value else null()


# --- cases -------------------------------------------------------------------------------


async def get_case(session: AsyncSession, case_id: int) -> Case | None:
    """Return the case with this id, read afresh from the database, or None."""
    result = await session.scalars(
        select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    )
    return result.first()


async def active_case(session: AsyncSession, resident_id: int) -> Case | None:
    """Return the resident's case that is not closed, if there is one (there is at most one)."""
    result = await session.scalars(
        select(Case)
        .where(Case.resident_id == resident_id, Case.status != "closed")
        .execution_options(populate_existing=True)
    )
    return result.first()


async def open_case(
    session: AsyncSession,
    *,
    resident_id: int,
    kind: CaseKind,
    category: str | None,
    language: str,
    excerpt: Sequence[str] | None,
    now: datetime,
) -> tuple[Case, bool]:
    """Return the resident's active case, opening one if there is none; and whether it is new.

    An urgent request joins an existing case: a "person" case becomes "urgent" and takes
    the new category and excerpt; an urgent case keeps its first category (unless it had
    none) and its excerpt. A "person" request leaves an existing case as it is.

    Two requests racing for one resident get the same case: the partial unique index
    decides, through ``INSERT ... ON CONFLICT DO NOTHING`` on that index. (Not a SAVEPOINT
    around a plain INSERT: with the SQLite driver's transaction handling, a SAVEPOINT
    after only SELECTs starts the transaction and its RELEASE commits it.)

    Args:
        session: The caller's session, inside a transaction.
        resident_id: The resident the case is about.
        kind: "urgent" (from triage) or "person" (the resident asked for one).
        category: The triage category of an urgent request, if any.
        language: The resident's language, for the staff.
        excerpt: What the resident wrote just before, for the staff; cleared on close.
        now: The time of the request.

    Returns:
        The active case and True when this call opened it.

    Raises:
        IntegrityError: The resident does not exist.
    """
    while True:
        opened = await session.scalar(
            _insert(session, Case.__table__)  # type: ignore[arg-type]
            .values(
                resident_id=resident_id,
                kind=kind,
                category=category,
                language=language,
                status="open",
                opened_at=now,
                escalation=0,
                excerpt=_json_or_null(excerpt),
            )
            .on_conflict_do_nothing(
                index_elements=["resident_id"], index_where=Case.status != "closed"
            )
            .returning(Case.id)
        )
        if opened is not None:
            return await _fetch(session, opened), True
        existing = await active_case(session, resident_id)
        # None: the case in the way was closed between our INSERT and SELECT; try again.
        if existing is not None:
            break
    if kind == "urgent":
        await _make_urgent(session, existing.id, category, excerpt)
        existing = await _fetch(session, existing.id)
    return existing, False


async def _make_urgent(
    session: AsyncSession, case_id: int, category: str | None, excerpt: Sequence[str] | None
) -> None:
    # One statement: its CASEs read the row as it is once the row lock is held.
    was_person = Case.kind == "person"
    given = literal(category, Case.category.type)
    changes: dict[str, Any] = {
        "kind": "urgent",
        "category": case(
            (was_person, func.coalesce(given, Case.category)),
            else_=func.coalesce(Case.category, given),
        ),
    }
    if excerpt:
        changes["excerpt"] = case(
            (was_person, literal(list(excerpt), Case.excerpt.type)), else_=Case.excerpt
        )
    await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.status != "closed")
        .values(changes)
        .execution_options(synchronize_session=False)
    )


async def _fetch(session: AsyncSession, case_id: int) -> Case:
    found = await get_case(session, case_id)
    assert found is not None, f"case {case_id} vanished inside its own transaction"
    return found


class ClaimOutcome(StrEnum):
    """What became of a staff member's Claim."""

    CLAIMED = "claimed"
    """This call claimed the case."""
    ALREADY_YOURS = "already_yours"
    """The same staff member had claimed it before."""
    TAKEN = "taken"
    """Someone else holds it; see ``holder_id`` and ``holder_name``."""
    CLOSED = "closed"
    """The case is closed."""
    UNKNOWN = "unknown"
    """No case has this id."""


@dataclass(frozen=True)
class Claim:
    """The outcome of a Claim, the case as it now is, and who holds it (when someone does)."""

    outcome: ClaimOutcome
    case: Case | None = None
    holder_id: int | None = None
    holder_name: str | None = None


async def claim_case(session: AsyncSession, case_id: int, staff_id: int, now: datetime) -> Claim:
    """Assign an open case to a staff member; of two pressing Claim at once, exactly one wins.

    The UPDATE only matches a case still open, so the database picks the winner; on
    PostgreSQL the loser's UPDATE waits for the winner's commit and then matches nothing.
    A successful claim is audited ("claim"). Pending timers are left alone: they check
    that the case is still open when they fire (see :func:`escalate`).

    Args:
        session: The caller's session, inside a transaction.
        case_id: The case whose Claim button was pressed.
        staff_id: The staff member who pressed it.
        now: When it was pressed.

    Returns:
        What happened, with the case and the staff member who holds it.
    """
    won = await session.scalar(
        update(Case)
        .where(Case.id == case_id, Case.status == "open")
        .values(status="claimed", claimed_by=staff_id, claimed_at=now)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    if won is not None:
        await audit(session, staff_id=staff_id, action="claim", case_id=case_id, now=now)
    row = (
        await session.execute(
            select(Case, StaffMember.name)
            .outerjoin(StaffMember, StaffMember.id == Case.claimed_by)
            .where(Case.id == case_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return Claim(ClaimOutcome.UNKNOWN)
    current, holder_name = row
    if current.status == "closed":
        return Claim(ClaimOutcome.CLOSED, current)
    if won is not None:
        outcome = ClaimOutcome.CLAIMED
    elif current.claimed_by == staff_id:
        outcome = ClaimOutcome.ALREADY_YOURS
    else:
        outcome = ClaimOutcome.TAKEN
    return Claim(outcome, current, current.claimed_by, holder_name)


async def close_case(session: AsyncSession, case_id: int, staff_id: int, now: datetime) -> bool:
    """Close a case that is not closed yet; return False when there was none to close.

    The excerpt is cleared (personal text is not kept after closing), the case's pending
    timers are cancelled, and the closing is audited ("close").
    """
    closed = await session.scalar(
        update(Case)
        .where(Case.id == case_id, Case.status != "closed")
        .values(status="closed", closed_by=staff_id, closed_at=now, excerpt=null())
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    if closed is None:
        return False
    await cancel_timers(session, case_id, now)
    await audit(session, staff_id=staff_id, action="close", case_id=case_id, now=now)
    return True


async def escalate(session: AsyncSession, case_id: int, level: int, now: datetime) -> bool:
    """Raise an unclaimed case's escalation to ``level``; return False if it is not due.

    Only an open case below that level is escalated, so a timer that fires after a
    Claim, or twice, does nothing. An escalation is audited ("escalated", no staff).

    Args:
        session: The caller's session, inside a transaction.
        case_id: The case.
        level: 1: sent again to on-call staff; 2: the resident was reminded of 112.
        now: When the timer fired.
    """
    raised = await session.scalar(
        update(Case)
        .where(Case.id == case_id, Case.status == "open", Case.escalation < level)
        .values(escalation=level)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    if raised is None:
        return False
    await audit(session, staff_id=None, action="escalated", case_id=case_id, now=now)
    return True


async def claimed_cases_of(session: AsyncSession, staff_id: int) -> list[Case]:
    """Return the cases this staff member holds, most recently claimed first."""
    result = await session.scalars(
        select(Case)
        .where(Case.status == "claimed", Case.claimed_by == staff_id)
        .order_by(Case.claimed_at.desc(), Case.id.desc())
        .execution_options(populate_existing=True)
    )
    return list(result)


async def cases_waiting(session: AsyncSession) -> list[Case]:
    """Return the open cases nobody has claimed yet, oldest first."""
    result = await session.scalars(
        select(Case)
        .where(Case.status == "open")
        .order_by(Case.opened_at, Case.id)
        .execution_options(populate_existing=True)
    )
    return list(result)


async def forget_closed_case_texts(session: AsyncSession, before: datetime) -> int:
    """Clear the excerpt of cases closed before ``before``; return how many still had one."""
    result = await session.execute(
        update(Case)
        .where(Case.status == "closed", Case.closed_at < before, Case.excerpt.is_not(None))
        .values(excerpt=null())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- posts about a case in staff chats ---------------------------------------------------


async def record_post(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    case_id: int,
    card: dict[str, Any] | None = None,
) -> None:
    """Remember that a staff-chat message is about a case (a delivery retried is kept once).

    ``card``: what the message is beyond words about the case (see ``CasePost.card``).
    """
    await session.execute(
        _insert(session, CasePost.__table__)  # type: ignore[arg-type]
        .values(chat_id=chat_id, message_id=message_id, case_id=case_id, card=card or null())
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
    )


CARD_KINDS = ("card", "reminder")


async def card_posts(session: AsyncSession, case_id: int) -> list[CasePost]:
    """Return the messages that carry a case's buttons (cards and reminders), by chat."""
    result = await session.scalars(
        select(CasePost)
        .where(CasePost.case_id == case_id, CasePost.card["kind"].as_string().in_(CARD_KINDS))
        .order_by(CasePost.chat_id, CasePost.message_id)
    )
    return list(result)


async def post_at(session: AsyncSession, chat_id: int, message_id: int) -> CasePost | None:
    """Return what we know of a staff-chat message about a case, or None."""
    return await session.get(CasePost, (chat_id, message_id))


async def case_for_post(session: AsyncSession, chat_id: int, message_id: int) -> Case | None:
    """Return the case a staff-chat message is about, for a staff reply to it."""
    result = await session.scalars(
        select(Case)
        .join(CasePost, CasePost.case_id == Case.id)
        .where(CasePost.chat_id == chat_id, CasePost.message_id == message_id)
        .execution_options(populate_existing=True)
    )
    return result.first()


# --- timers ------------------------------------------------------------------------------


async def schedule(
    session: AsyncSession,
    *,
    kind: str,
    case_id: int | None,
    due_at: datetime,
    resident_id: int | None = None,
) -> Timer:
    """Add a timer (e.g. ``"escalate"``, ``"remind_112"``) that fires at ``due_at``.

    A timer belongs to a case, or to a resident with no case yet (``resident_id``).
    """
    timer = Timer(kind=kind, case_id=case_id, resident_id=resident_id, due_at=due_at)
    session.add(timer)
    await session.flush()
    return timer


async def take_due_timers(session: AsyncSession, now: datetime, limit: int = 50) -> list[Timer]:
    """Mark due timers done and return them, earliest first; no two workers take the same one.

    The timers count as done when the caller's transaction commits: if the work they
    stand for fails and the transaction rolls back, they are taken again later.
    """
    due = (
        select(Timer.id)
        .where(Timer.done_at.is_(None), Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
        # PostgreSQL: a second worker skips the rows the first one holds, instead of
        # waiting and then finding them done. SQLite has no FOR UPDATE (SQLAlchemy leaves
        # it out): it has one writer at a time, and "done_at IS NULL" decides.
        .with_for_update(skip_locked=True)
    )
    result = await session.scalars(
        update(Timer)
        .where(Timer.id.in_(due.scalar_subquery()), Timer.done_at.is_(None))
        .values(done_at=now)
        .returning(Timer)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(result, key=lambda timer: (timer.due_at, timer.id))


async def cancel_timers(session: AsyncSession, case_id: int, now: datetime) -> int:
    """Mark a case's pending timers done without firing them; return how many there were."""
    result = await session.execute(
        update(Timer)
        .where(Timer.case_id == case_id, Timer.done_at.is_(None))
        .values(done_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def cancel_resident_timers(
    session: AsyncSession, resident_id: int, now: datetime, kind: str | None = None
) -> int:
    """Mark a resident's pending timers (of one kind, or all) done without firing them."""
    statement = update(Timer).where(Timer.resident_id == resident_id, Timer.done_at.is_(None))
    if kind is not None:
        statement = statement.where(Timer.kind == kind)
    result = await session.execute(
        statement.values(done_at=now).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def next_timer_due(session: AsyncSession) -> datetime | None:
    """Return when the earliest pending timer is due, or None when none is pending."""
    due: datetime | None = await session.scalar(
        select(func.min(Timer.due_at)).where(Timer.done_at.is_(None))
    )
    return due


# --- audit -------------------------------------------------------------------------------


async def audit(
    session: AsyncSession,
    *,
    staff_id: int | None,
    action: str,
    case_id: int | None,
    now: datetime,
) -> AuditEntry:
    """Record who did what to which case.

    Args:
        session: The caller's session, inside the transaction of the action itself.
        staff_id: The staff member; None for the system ("escalated") or for someone not
            on staff pressing a staff button ("forbidden").
        action: "claim", "close", "read", "reply", "escalated", "forbidden", ...
        case_id: The case, if the action concerned one.
        now: When it happened.
    """
    entry = AuditEntry(at=now, staff_id=staff_id, action=action, case_id=case_id)
    session.add(entry)
    await session.flush()
    return entry


MARKS = ("mark-calm", "mark-urgent")


async def was_marked(session: AsyncSession, case_id: int) -> bool:
    """Return whether a staff member has already marked this case urgent or not urgent."""
    found = await session.scalar(
        select(AuditEntry.id).where(AuditEntry.case_id == case_id, AuditEntry.action.in_(MARKS))
        .limit(1)
    )
    return found is not None


async def audit_trail(session: AsyncSession, case_id: int) -> list[AuditEntry]:
    """Return everything done to a case, oldest first."""
    result = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.case_id == case_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(result)


async def audit_entries(
    session: AsyncSession, *, since: datetime | None = None, limit: int = 200
) -> list[AuditEntry]:
    """Return the latest audit entries (at or after ``since``), newest first, for an operator."""
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    return list(await session.scalars(statement.limit(limit)))


# --- what the resident wrote lately --------------------------------------------------------


def _stamp(moment: datetime) -> str:
    # Fixed width and UTC, so the stamps also sort as text (see forget_old_texts).
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _fresh(entries: Sequence[dict[str, str]] | None, now: datetime) -> list[dict[str, str]]:
    if not entries:
        return []
    cutoff = now - RECENT_TEXTS_AGE
    kept = [e for e in entries if datetime.fromisoformat(e["at"]) >= cutoff]
    return kept[-RECENT_TEXTS_KEPT:]


def remember_text(
    resident: Resident, text: str, now: datetime, *, level: str | None = None
) -> None:
    """Keep what the resident just wrote among their last few texts, dropping stale ones.

    At most :data:`RECENT_TEXTS_KEPT` texts, none older than :data:`RECENT_TEXTS_AGE`,
    each cut to :data:`RECENT_TEXT_LENGTH` characters. Blank text is not kept.
    ``level`` is what triage said of it ("urgent", "ask", "calm"): an urgent message
    right after a calm one tells triage it missed something.
    """
    kept = _fresh(resident.recent_texts, now)
    if text.strip():
        entry = {"at": _stamp(now), "text": text[:RECENT_TEXT_LENGTH]}
        if level is not None:
            entry["level"] = level
        kept = [*kept, entry]
    # A new list, not an in-place change: the ORM only sees a JSON column change that way.
    resident.recent_texts = kept[-RECENT_TEXTS_KEPT:] or None


def recent_texts(resident: Resident, now: datetime) -> list[str]:
    """Return the texts the resident wrote within the last day, oldest first (at most five)."""
    return [entry["text"] for entry in _fresh(resident.recent_texts, now)]


async def forget_old_texts(session: AsyncSession, now: datetime) -> int:
    """Drop texts older than a day from every resident; return how many residents changed.

    Only residents whose oldest text is stale are read. On PostgreSQL a resident whose
    row is locked (their message being handled right now) is skipped: that handler
    prunes the texts itself, and the next run catches them otherwise.
    """
    oldest = Resident.recent_texts[(0, "at")].as_string()
    stale = await session.execute(
        select(Resident.id, Resident.recent_texts)
        .where(oldest < _stamp(now - RECENT_TEXTS_AGE))
        .with_for_update(skip_locked=True, of=Resident)
    )
    emptied: list[int] = []
    pruned: list[dict[str, Any]] = []
    for resident_id, entries in stale:
        kept = _fresh(entries, now)
        if kept:
            pruned.append({"id": resident_id, "recent_texts": kept})
        else:
            emptied.append(resident_id)
    if emptied:
        await session.execute(
            update(Resident)
            .where(Resident.id.in_(emptied))
            .values(recent_texts=null())
            .execution_options(synchronize_session=False)
        )
    if pruned:
        await session.execute(update(Resident), pruned)
    return len(emptied) + len(pruned)


async def release_cases_of(session: AsyncSession, staff_id: int, now: datetime) -> list[int]:
    """Open again every case a staff member holds (they leave), due for escalation now.

    A case must never wait on someone who can no longer answer it: the cases go back
    to "open" and get an escalation timer due at once, so the staff hear of them again.
    """
    released = list(
        await session.scalars(
            update(Case)
            .where(Case.status == "claimed", Case.claimed_by == staff_id)
            .values(status="open", claimed_by=None, claimed_at=None, escalation=0)
            .returning(Case.id)
            .execution_options(synchronize_session=False)
        )
    )
    for case_id in released:
        await schedule(session, kind="escalate", case_id=case_id, due_at=now)
        await audit(session, staff_id=staff_id, action="released", case_id=case_id, now=now)
    return sorted(released)
