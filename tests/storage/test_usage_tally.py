"""Weekly counts tallied in memory reach the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.usage import UsageKey, UsageTally
from storage import queries
from storage.db import Database

WEEK = date(2026, 11, 23)


async def test_counts_are_added_up_across_flushes(db: Database) -> None:
    tally = UsageTally(db)
    search = UsageKey(WEEK, "search", "financial-aid", "so", "library")
    opened = UsageKey(WEEK, "open", "financial-aid", "so", "")
    for _ in range(3):
        tally.add(search)
    tally.add(opened)
    await tally.flush()
    tally.add(search)
    await tally.flush()
    await tally.flush()  # nothing new: nothing changes
    async with db.session() as session:
        rows = await queries.usage_since(session, WEEK)
    assert sorted((r.kind, r.source, r.count) for r in rows) == [
        ("open", "", 1),
        ("search", "library", 4),
    ]


async def test_counts_survive_a_failed_flush(db: Database, tmp_path: object) -> None:
    # A database without our tables: writing the counts fails.
    empty = Database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    tally = UsageTally(empty)
    tally.add(UsageKey(WEEK, "search", "", "sv", ""))
    with pytest.raises(Exception, match="no such table"):
        await tally.flush()
    await empty.close()
    tally.db = db
    await tally.flush()
    async with db.session() as session:
        rows = await queries.usage_since(session, WEEK)
    assert [(r.kind, r.count) for r in rows] == [("search", 1)]
