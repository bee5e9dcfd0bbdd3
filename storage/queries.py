"""The statements Nära runs, one small function each, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Insert, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage import contacts
from storage.models import (
    Case,
    InboxUpdate,
    OutboxMessage,
    Resident,
    StaffMember,
    StartSource,
    Timer,
    UnansweredQuestion,
    UsageCount,
)

LAST_SEEN_PRECISION = timedelta(minutes=1)


def _insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    # Both dialects spell "insert unless it exists" the same way, from different modules.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- inbox -------------------------------------------------------------------------------


async def store_updates(
    session: AsyncSession, updates: Sequence[tuple[int, int, dict[str, Any]]], now: datetime
) -> set[int]:
    """Store ``(update_id, chat_key, payload)`` rows; return the ids that were new.

    An update Telegram sends twice (a retried webhook, a repeated ``getUpdates``)
    is stored once: the primary key decides, not a Python check.
    """
    if not updates:
        return set()
    statement: Insert = (
        _insert(session, InboxUpdate.__table__)  # type: ignore[arg-type]
        .values(
            [
                {"update_id": uid, "chat_key": key, "payload": payload, "received_at": now}
                for uid, key, payload in updates
            ]
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    result = await session.execute(statement)
    return set(result.scalars())


async def pending_updates(session: AsyncSession) -> Sequence[InboxUpdate]:
    """Return stored updates not yet handled, oldest first."""
    result = await session.scalars(
        select(InboxUpdate).where(InboxUpdate.handled_at.is_(None)).order_by(InboxUpdate.update_id)
    )
    return result.all()


async def mark_handled(
    session: AsyncSession, update_id: int, now: datetime, outcome: str = "ok"
) -> bool:
    """Mark an update handled; return False when it already was (then do nothing else).

    The row lock this takes is held until commit, so two workers can never both handle it.
    """
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id, InboxUpdate.handled_at.is_(None))
        .values(handled_at=now, outcome=outcome, payload=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_handled_many(
    session: AsyncSession, update_ids: Sequence[int], now: datetime
) -> set[int]:
    """Mark several updates handled at once; return the ids that were not handled before."""
    if not update_ids:
        return set()
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(update_ids), InboxUpdate.handled_at.is_(None))
        .values(handled_at=now, outcome="ok", payload=None)
        .returning(InboxUpdate.update_id)
    )
    return set(result.scalars())


async def count_pending_updates(session: AsyncSession) -> int:
    """Return how many stored updates wait to be handled."""
    result = await session.scalar(
        select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None))
    )
    return int(result or 0)


async def forget_handled_updates(session: AsyncSession, before: datetime) -> int:
    """Delete handled updates older than ``before`` (Telegram repeats none after a day)."""
    result = await session.execute(
        delete(InboxUpdate).where(
            InboxUpdate.handled_at.is_not(None), InboxUpdate.handled_at < before
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- outbox ------------------------------------------------------------------------------


def add_outgoing(
    session: AsyncSession,
    *,
    chat_id: int,
    method: str,
    params: dict[str, Any],
    now: datetime,
    caused_at: datetime | None = None,
    purpose: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Queue one Bot API call in the current transaction."""
    message = OutboxMessage(
        chat_id=chat_id,
        method=method,
        params=params,
        created_at=now,
        caused_at=caused_at,
        purpose=purpose,
    )
    session.add(message)
    return message


async def outgoing_for_chat(
    session: AsyncSession, chat_id: int, *, limit: int = 20
) -> Sequence[OutboxMessage]:
    """Return the oldest undelivered calls for a chat (due yet or not), oldest first."""
    result = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.failed_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return result.all()


async def outgoing_chats(session: AsyncSession) -> Sequence[tuple[int, int]]:
    """Return ``(chat_id, call id)`` of the first undelivered call of every chat owed one."""
    result = await session.execute(
        select(OutboxMessage.chat_id, func.min(OutboxMessage.id))
        .where(OutboxMessage.failed_at.is_(None))
        .group_by(OutboxMessage.chat_id)
    )
    return [(int(chat_id), int(call_id)) for chat_id, call_id in result]


async def delivered(session: AsyncSession, call_ids: Sequence[int]) -> None:
    """Forget calls Telegram accepted."""
    await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(call_ids)))


async def postpone(
    session: AsyncSession, message_id: int, not_before: datetime, error: str
) -> None:
    """Try a call again later, after a rate limit or a network or server error."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(not_before=not_before, attempts=OutboxMessage.attempts + 1, last_error=error[:200])
    )


async def give_up(session: AsyncSession, message_id: int, now: datetime, error: str) -> None:
    """Keep a call Telegram refused for good, for an operator to look at."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(failed_at=now, attempts=OutboxMessage.attempts + 1, last_error=error[:200])
    )


async def count_outgoing(session: AsyncSession) -> int:
    """Return how many calls wait to be delivered."""
    result = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.failed_at.is_(None))
    )
    return int(result or 0)


# --- residents ---------------------------------------------------------------------------


async def find_resident(session: AsyncSession, telegram_user_id: int) -> Resident | None:
    """Return the resident with this Telegram id, if they wrote before."""
    result = await session.scalars(
        select(Resident).where(Resident.telegram_user_id == telegram_user_id)
    )
    return result.first()


async def residents_by_user(
    session: AsyncSession, telegram_user_ids: Sequence[int]
) -> dict[int, Resident | None]:
    """Look these Telegram users up in one query: their resident, or None for newcomers."""
    wanted = set(telegram_user_ids)
    if not wanted:
        return {}
    result = await session.scalars(select(Resident).where(Resident.telegram_user_id.in_(wanted)))
    found: dict[int, Resident | None] = dict.fromkeys(wanted)
    found.update({resident.telegram_user_id: resident for resident in result})
    return found


async def meet_resident(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    chat_id: int,
    locale: str,
    now: datetime,
    known: dict[int, Resident | None] | None = None,
) -> tuple[Resident, bool]:
    """Return the resident (created on first contact) and whether they are new.

    ``known`` holds users looked up beforehand (see :func:`residents_by_user`); for them
    no query is needed.
    """
    if known is not None and telegram_user_id in known:
        resident = known[telegram_user_id]
    else:
        resident = await find_resident(session, telegram_user_id)
    if resident is not None:
        # To the minute is enough, and saves a write for every message of a conversation.
        if now - resident.last_seen >= LAST_SEEN_PRECISION:
            resident.last_seen = now
        if resident.chat_id != chat_id:
            resident.chat_id = chat_id
        return resident, False
    resident = Resident(
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        locale=locale,
        locale_chosen=False,
        first_seen=now,
        last_seen=now,
        step="",
        step_data={},
    )
    session.add(resident)
    await session.flush()
    if known is not None:
        known[telegram_user_id] = resident
    return resident, True


async def forget_resident(session: AsyncSession, resident: Resident) -> bool:
    """Delete what the chat has saved about ``resident``, as they asked.

    A resident with no case is deleted entirely. A case is a record social services must
    keep, and it needs the chat to reach the resident: then only the row stays, with their
    language, and without their recent messages, where they came from, or their own
    contact person (see :func:`storage.contacts.forget_contact`).

    Returns:
        True when nothing of the resident is left; False when the row stays for a case.
    """
    has_case = await session.scalar(select(Case.id).where(Case.resident_id == resident.id).limit(1))
    # Their own contact person is their choice, not a case record: it goes either way.
    await contacts.forget_contact(session, resident)
    if has_case is None:
        # A pending "are you safe?" timer goes with them: nothing is left to follow up.
        await session.execute(delete(Timer).where(Timer.resident_id == resident.id))
        await session.delete(resident)
        await session.flush()
        return True
    resident.recent_texts = None
    resident.source = None
    return False


# --- deep-link sources -------------------------------------------------------------------


async def count_start(session: AsyncSession, source: str, day: date) -> None:
    """Count one /start from a deep link, anonymously: a source, a day and a number."""
    statement = _insert(session, StartSource.__table__).values(  # type: ignore[arg-type]
        source=source, day=day, starts=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["source", "day"], set_={"starts": StartSource.starts + 1}
    )
    await session.execute(statement)


async def start_counts(session: AsyncSession) -> Sequence[tuple[str, date, int]]:
    """Return ``(source, day, starts)`` rows, newest day first."""
    result = await session.execute(
        select(StartSource.source, StartSource.day, StartSource.starts).order_by(
            StartSource.day.desc(), StartSource.source
        )
    )
    return [(row.source, row.day, row.starts) for row in result]


# --- staff -------------------------------------------------------------------------------


async def active_staff_member(session: AsyncSession, telegram_user_id: int) -> StaffMember | None:
    """Return the staff member with this Telegram id, unless they were removed."""
    result = await session.scalars(
        select(StaffMember).where(
            StaffMember.telegram_user_id == telegram_user_id, StaffMember.removed_at.is_(None)
        )
    )
    return result.first()


async def active_staff_by_user(
    session: AsyncSession, telegram_user_ids: Sequence[int]
) -> dict[int, StaffMember | None]:
    """Look these Telegram users up as staff in one query: the member, or None."""
    wanted = set(telegram_user_ids)
    if not wanted:
        return {}
    result = await session.scalars(
        select(StaffMember).where(
            StaffMember.telegram_user_id.in_(wanted), StaffMember.removed_at.is_(None)
        )
    )
    found: dict[int, StaffMember | None] = dict.fromkeys(wanted)
    found.update({member.telegram_user_id: member for member in result})
    return found


async def add_staff_member(
    session: AsyncSession, *, telegram_user_id: int, name: str, role: str, now: datetime
) -> StaffMember:
    """Register a staff member, or bring back and update one who was removed."""
    result = await session.scalars(
        select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
    )
    member = result.first()
    if member is None:
        member = StaffMember(telegram_user_id=telegram_user_id, name=name, role=role, added_at=now)
        session.add(member)
    else:
        member.name, member.role, member.removed_at = name, role, None
    await session.flush()
    return member


async def list_staff(
    session: AsyncSession, *, include_removed: bool = False
) -> Sequence[StaffMember]:
    """Return staff members by name."""
    statement = select(StaffMember).order_by(StaffMember.name, StaffMember.id)
    if not include_removed:
        statement = statement.where(StaffMember.removed_at.is_(None))
    return (await session.scalars(statement)).all()


async def remove_staff_member(session: AsyncSession, telegram_user_id: int, now: datetime) -> bool:
    """Take away a staff member's access; return False when there was none to take."""
    result = await session.execute(
        update(StaffMember)
        .where(StaffMember.telegram_user_id == telegram_user_id, StaffMember.removed_at.is_(None))
        .values(removed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- what residents ask ------------------------------------------------------------------


async def keep_unanswered(
    session: AsyncSession, *, text: str, language: str, now: datetime
) -> None:
    """Keep a question the catalogue could not answer (already scrubbed of personal data)."""
    session.add(UnansweredQuestion(text=text[:2000], language=language, asked_at=now))


async def unanswered_since(session: AsyncSession, since: datetime) -> Sequence[UnansweredQuestion]:
    """Return questions without a good answer asked since ``since``, newest first."""
    result = await session.scalars(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.asked_at >= since)
        .order_by(UnansweredQuestion.asked_at.desc())
    )
    return result.all()


async def forget_unanswered(session: AsyncSession, before: datetime) -> int:
    """Delete kept questions older than ``before`` (the retention time)."""
    result = await session.execute(
        delete(UnansweredQuestion).where(UnansweredQuestion.asked_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def count_usage(
    session: AsyncSession,
    *,
    week: date,
    kind: str,
    service_id: str,
    language: str,
    source: str,
    by: int = 1,
) -> None:
    """Add ``by`` to an anonymous weekly count (searches, or services opened)."""
    statement = _insert(session, UsageCount.__table__).values(  # type: ignore[arg-type]
        week=week, kind=kind, service_id=service_id, language=language, source=source, count=by
    )
    statement = statement.on_conflict_do_update(
        index_elements=["week", "kind", "service_id", "language", "source"],
        set_={"count": UsageCount.count + by},
    )
    await session.execute(statement)


async def usage_since(session: AsyncSession, since: date) -> Sequence[UsageCount]:
    """Return weekly counts from the week of ``since`` on, newest week first."""
    result = await session.scalars(
        select(UsageCount)
        .where(UsageCount.week >= since)
        .order_by(UsageCount.week.desc(), UsageCount.kind, UsageCount.count.desc())
    )
    return result.all()
