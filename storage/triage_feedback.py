"""What real use says about triage: misses, false alarms and answers to "are you safe?".

Rows carry no resident and no case: the text is scrubbed by the caller (like a kept
question) and the rows go after the same retention time. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TriageFeedback

TEXT_LENGTH = 1000


async def record(
    session: AsyncSession,
    *,
    kind: str,
    source: str,
    language: str,
    level: str,
    category: str | None,
    text: str | None,
    now: datetime,
    answer: str | None = None,
) -> TriageFeedback:
    """Keep one piece of feedback on triage (``text`` already scrubbed of personal data).

    Args:
        session: The caller's session, inside a transaction.
        kind: "missed", "false-alarm" or "asked".
        source: "staff", "resident" or "timer".
        language: The resident's language.
        level: What triage said of the message: "urgent", "ask" or "calm".
        category: The category triage gave (or the one staff judged), if any.
        text: The message, scrubbed; None when there is none to keep.
        now: The time of the feedback.
        answer: For "asked": "danger", "later", "ok" or "none".
    """
    row = TriageFeedback(
        at=now, kind=kind, source=source, answer=answer, language=language, level=level,
        category=category, text=text[:TEXT_LENGTH] if text else None,
    )
    session.add(row)
    await session.flush()
    return row


async def since(session: AsyncSession, moment: datetime) -> Sequence[TriageFeedback]:
    """Return the feedback kept since ``moment``, oldest first."""
    result = await session.scalars(
        select(TriageFeedback).where(TriageFeedback.at >= moment)
        .order_by(TriageFeedback.at, TriageFeedback.id)
    )
    return result.all()


async def forget_before(session: AsyncSession, moment: datetime) -> int:
    """Delete feedback older than ``moment``; return how many rows went."""
    result = await session.execute(delete(TriageFeedback).where(TriageFeedback.at < moment))
    return int(result.rowcount)  # type: ignore[attr-defined]
