"""The shared scheduler under load: `.venv/bin/python bench/scheduler.py [--residents 10000]`.

10,000 residents on check-in plans, on a throwaway PostgreSQL server (tests/postgres.py;
SQLite with ``--sqlite``), all of them due at the same moment: the worst morning.
Nära runs in this process against the local Telegram-compatible server, which answers
at once, with the rate limit off (at Telegram's 30 messages a second, 10,000 check-ins
take 5.5 minutes by design: this measures our own work, not Telegram's limit).

Prints:
- due jobs found and queued per second: from the bot's start until every due check-in
  timer is taken, its message written to the outbox and the next step's timer written
  (``bot.app.timers.run_due_timers``, ``FOR UPDATE SKIP LOCKED``, one transaction per
  batch);
- the delay from each check-in's due time to the moment the server received it,
  p50 and p99 (and the maximum);
- that every resident got exactly one check-in (else exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, update  # noqa: E402

from bot.app.runtime import Nara  # noqa: E402
from storage.checkins import CHECKIN  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import CheckinPlan, Resident, Timer  # noqa: E402
from tests.bot.harness import bot_settings, local_telegram  # noqa: E402

FIRST_CHAT = 10_000_000


async def seed(url: str, residents: int, due: datetime) -> None:
    """Residents who said yes a week ago; their first check-in due over the last minute."""
    db = Database(url)
    await db.upgrade()
    started = due - timedelta(days=7)
    async with db.session() as session, session.begin():
        for first in range(0, residents, 2000):
            ids = range(first, min(first + 2000, residents))
            await session.execute(
                insert(Resident),
                [
                    {
                        "telegram_user_id": FIRST_CHAT + n,
                        "chat_id": FIRST_CHAT + n,
                        "locale": ("sv", "en", "ar", "so", "fa_AF", "ti", "uk", "fi")[n % 8],
                        "first_seen": started,
                        "last_seen": started,
                        "step": "",
                        "step_data": {},
                    }
                    for n in ids
                ],
            )
        resident_ids = list(await session.scalars(select(Resident.id).order_by(Resident.id)))
        plans = ("after-support", "continued-contact", "after-crisis")
        for first in range(0, len(resident_ids), 2000):
            chunk = resident_ids[first : first + 2000]
            await session.execute(
                insert(CheckinPlan),
                [
                    {
                        "resident_id": rid,
                        "plan": plans[rid % 3],
                        "status": "active",
                        "offered_at": started,
                        "started_at": started,
                        "time_of_day": "morning",
                        "next_step": 0,
                        "next_due": due,
                        "unanswered": 0,
                        "updated_at": started,
                    }
                    for rid in chunk
                ],
            )
        plan_ids = list(await session.scalars(select(CheckinPlan.id).order_by(CheckinPlan.id)))
        for first in range(0, len(plan_ids), 2000):
            chunk = plan_ids[first : first + 2000]
            await session.execute(
                insert(Timer),
                [
                    {
                        "kind": CHECKIN,
                        "checkin_id": pid,
                        # Far ahead: made due once the bot has started (see run).
                        "due_at": due + timedelta(days=365),
                    }
                    for pid in chunk
                ],
            )
    await db.close()


async def pending_due(url: str, now: datetime) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(Timer)
                    .where(Timer.kind == CHECKIN, Timer.done_at.is_(None), Timer.due_at <= now)
                )
                or 0
            )
    finally:
        await db.close()


async def run(url: str, residents: int) -> bool:
    due = datetime.now(UTC)
    print(f"seeding {residents} residents on plans ...", flush=True)
    await seed(url, residents, due)
    async with local_telegram() as telegram:
        world = telegram.world
        bot = world.find_bot()
        for n in range(residents):
            user = world.add_user(f"R{n}", user_id=FIRST_CHAT + n, language_code="sv")
            world.private_chat(bot, user).started = True
        received: dict[int, list[float]] = {}
        original = world.emit

        def emit(kind: str, **data: Any) -> dict[str, Any]:
            if kind == "message_new" and data.get("chat_id", 0) >= FIRST_CHAT:
                received.setdefault(int(data["chat_id"]), []).append(time.time())
            return original(kind, **data)

        world.emit = emit  # type: ignore[method-assign]
        settings = bot_settings(telegram.url, url, rate_limit=False, log_level="WARNING")
        nara = Nara(settings)
        await nara.start()
        # All due at this very moment: the worst morning.
        due = datetime.now(UTC)
        db = Database(url)
        async with db.session() as session, session.begin():
            ids = list(await session.scalars(select(Timer.id).where(Timer.kind == CHECKIN)))
            await session.execute(
                update(Timer),
                [{"id": tid, "due_at": due} for tid in ids],
            )
        await db.close()
        began = time.perf_counter()
        try:
            queued_after = None
            while len(received) < residents:
                if queued_after is None and await pending_due(url, due) == 0:
                    queued_after = time.perf_counter() - began
                await asyncio.sleep(0.2)
                if time.perf_counter() - began > 1800:
                    print("gave up after 30 minutes")
                    return False
            if queued_after is None:
                queued_after = time.perf_counter() - began
        finally:
            await nara.stop()
    db = Database(url)
    async with db.session() as session:
        due_of = dict(
            (
                await session.execute(
                    select(Resident.chat_id, Timer.due_at)
                    .join(CheckinPlan, CheckinPlan.resident_id == Resident.id)
                    .join(Timer, Timer.checkin_id == CheckinPlan.id)
                    .where(Timer.done_at.is_not(None))
                )
            ).all()
        )
    await db.close()
    delays = sorted(
        times[0] - due_of[chat].replace(tzinfo=due_of[chat].tzinfo or UTC).timestamp()
        for chat, times in received.items()
    )
    twice = sum(1 for times in received.values() if len(times) != 1)
    print(f"  found and queued: {residents / queued_after:,.0f} due check-ins/s "
          f"({residents} in {queued_after:.1f} s)")
    print(f"  due -> sent delay: p50 {statistics.median(delays):.1f} s, "
          f"p99 {delays[int(0.99 * (len(delays) - 1))]:.1f} s, max {delays[-1]:.1f} s")
    print(f"  residents with exactly one check-in: {residents - twice} of {residents}")
    return twice == 0 and len(received) == residents


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    from tests.postgres import PostgresServer, PostgresUnavailable

    folder = tempfile.TemporaryDirectory(prefix="nara-bench-")
    if args.sqlite:
        print(f"Scheduler on SQLite, {args.residents} residents due at once")
        ok = asyncio.run(run(f"sqlite+aiosqlite:///{folder.name}/nara.db", args.residents))
        folder.cleanup()
        return 0 if ok else 1
    try:
        server = PostgresServer()
    except PostgresUnavailable as missing:
        print(f"PostgreSQL is not installed ({missing}); try --sqlite")
        return 1
    server.start()
    try:
        from bench.booking import postgres_url

        print(f"Scheduler on PostgreSQL, {args.residents} residents due at once")

        async def on_postgres() -> bool:
            return await run(await postgres_url(server), args.residents)

        ok = asyncio.run(on_postgres())
    finally:
        server.stop()
        folder.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
