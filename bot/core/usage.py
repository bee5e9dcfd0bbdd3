"""Anonymous weekly counts, tallied in memory and written to the database every few seconds.

Counting in the database on every question cost as much as searching for the answer.
These are statistics without any resident attached, so a crash may lose the last few
seconds of them; nothing a resident wrote or is owed lives here.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date
from typing import Final, NamedTuple

from storage import queries
from storage.db import Database

log = logging.getLogger(__name__)

FLUSH_INTERVAL: Final = 5.0


class UsageKey(NamedTuple):
    """What one count is of."""

    week: date
    kind: str
    service_id: str
    language: str
    source: str


class UsageTally:
    """Counts in memory; :meth:`flush` adds them to the database's weekly counts."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._counts: Counter[UsageKey] = Counter()

    def add(self, key: UsageKey) -> None:
        """Count one search or one opened service."""
        self._counts[key] += 1

    async def flush(self) -> None:
        """Write what was counted since the last flush (kept for the next one on failure)."""
        counts, self._counts = self._counts, Counter()
        if not counts:
            return
        try:
            async with self.db.session() as session, session.begin():
                for key, number in sorted(counts.items()):
                    await queries.count_usage(session, **key._asdict(), by=number)
        except BaseException:
            self._counts.update(counts)
            raise

    async def flush_forever(self) -> None:
        """Flush every few seconds until cancelled."""
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                await self.flush()
            except Exception:
                log.exception("could not write usage counts; keeping them for the next try")
