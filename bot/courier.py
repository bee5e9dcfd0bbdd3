"""Deliver the outbox to Telegram: in order per chat, retrying until Telegram accepts."""

from __future__ import annotations

import asyncio
import logging
import random
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import Enum

from telegram import Bot
from telegram.warnings import PTBUserWarning
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.metrics import Metrics
from storage import queries
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

# The outbox stores raw Bot API calls (method and JSON parameters), so it sends them
# with do_api_request on purpose; PTB would warn on every call that a typed method exists.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)

# Between sweeps for calls that wait for a retry, or that a restart left behind.
SWEEP_INTERVAL = 0.5
LONGEST_BACKOFF = 60.0


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def retry_seconds(error: RetryAfter) -> float:
    """Return how long Telegram asked us to wait, in seconds."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class Delivery(Enum):
    """What happened to one call."""

    SENT = "sent"
    LATER = "later"
    REFUSED = "refused"


class Courier:
    """Sends queued Bot API calls; one chat's calls strictly in order, chats side by side."""

    def __init__(
        self, bot: Bot, db: Database, metrics: Metrics, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.bot, self.db, self.metrics, self.clock = bot, db, metrics, clock
        self._locks: dict[int, asyncio.Lock] = {}
        # How many deliveries want each chat's lock; the lock is dropped when none do.
        self._waiting: dict[int, int] = {}
        self._sweeps: set[asyncio.Task[None]] = set()

    async def deliver(self, chat_id: int) -> None:
        """Send everything owed to ``chat_id`` that is due, stopping at the first call to retry."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock:
                while True:
                    async with self.db.session() as session:
                        call = await queries.next_outgoing(session, chat_id)
                    if call is None:
                        return
                    if call.not_before is not None and call.not_before > self.clock():
                        return
                    if await self._send(call) is Delivery.LATER:
                        return
        finally:
            self._waiting[chat_id] -= 1
            if self._waiting[chat_id] == 0:
                del self._waiting[chat_id]
                del self._locks[chat_id]

    async def _send(self, call: OutboxMessage) -> Delivery:
        params = dict(call.params or {})
        try:
            await self.bot.do_api_request(call.method, api_kwargs=params)
        except RetryAfter as error:
            return await self._later(call, retry_seconds(error), "429 retry after")
        except ChatMigrated as error:
            # A staff group became a supergroup: same people, new chat id.
            params["chat_id"] = error.new_chat_id
            async with self.db.session() as session, session.begin():
                stored = await session.get(OutboxMessage, call.id)
                if stored is not None:
                    stored.params = params
            return await self._later(call, 0, "chat migrated")
        except InvalidToken:
            log.error("Telegram refused the bot token; calls wait until it is fixed")
            return await self._later(call, LONGEST_BACKOFF, "invalid token")
        except (Forbidden, BadRequest) as error:
            return await self._refused(call, error)
        except NetworkError as error:
            # Includes time-outs and Telegram's 5xx: the call may or may not have arrived,
            # and a repeated message is better than a lost one.
            return await self._later(call, self._backoff(call.attempts), type(error).__name__)
        except TelegramError as error:
            return await self._later(call, self._backoff(call.attempts), type(error).__name__)
        async with self.db.session() as session, session.begin():
            await queries.delivered(session, call.id)
        if call.caused_at is not None and call.method == "sendMessage":
            self.metrics.reply_latency.observe((self.clock() - call.caused_at).total_seconds())
        return Delivery.SENT

    @staticmethod
    def _backoff(attempts: int) -> float:
        base = min(LONGEST_BACKOFF, 0.5 * 2**attempts)
        return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security

    async def _later(self, call: OutboxMessage, seconds: float, reason: str) -> Delivery:
        self.metrics.api_failures.labels("retried").inc()
        log.warning("%s failed (%s); retrying in %.1f s", call.method, reason, seconds)
        async with self.db.session() as session, session.begin():
            await queries.postpone(session, call.id, self.clock() + timedelta(seconds=seconds), reason)
        return Delivery.LATER

    async def _refused(self, call: OutboxMessage, error: TelegramError) -> Delivery:
        self.metrics.api_failures.labels("refused").inc()
        # Telegram's own description names the rule broken; it does not quote our text.
        log.error("Telegram refused %s for good: %s: %s", call.method, type(error).__name__, error.message)
        async with self.db.session() as session, session.begin():
            await queries.give_up(session, call.id, self.clock(), f"{type(error).__name__}: {error.message}")
        return Delivery.REFUSED

    async def sweep_forever(self) -> None:
        """Keep delivering what waits: retries that fell due, and what a restart left behind."""
        while True:
            try:
                async with self.db.session() as session:
                    chats = await queries.chats_with_outgoing(session)
                for chat_id in chats:
                    if chat_id not in self._waiting:
                        task = asyncio.create_task(self.deliver(chat_id))
                        self._sweeps.add(task)
                        task.add_done_callback(self._sweeps.discard)
            except Exception:  # noqa: BLE001 - the sweeper must outlive a database hiccup
                self.metrics.errors.labels("courier").inc()
                log.exception("sweeping the outbox failed; trying again")
            await asyncio.sleep(SWEEP_INTERVAL)

    def busy(self) -> bool:
        """Tell whether a delivery is under way."""
        return bool(self._waiting)
