"""Deliver the outbox to Telegram: in order per chat, retrying until Telegram accepts.

Most calls are delivered straight after the transaction that queued them commits,
from memory ("claimed" calls); calls that must wait (a retry, a restart's leftovers)
are read back from the database by the sweeper. Either way one chat's calls go out
one at a time, in the order they were queued, under that chat's lock.
"""

from __future__ import annotations

import asyncio
import logging
import random
import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from telegram import Bot, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBUserWarning

from bot.core.metrics import Metrics
from storage import casework, checkins, queries
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

# The outbox stores raw Bot API calls (method and JSON parameters), so it sends them
# with do_api_request on purpose; PTB would warn on every call that a typed method exists.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)

# Between sweeps for calls that wait for a retry, or that a restart left behind.
SWEEP_INTERVAL = 0.5
LONGEST_BACKOFF = 60.0
# Bot API calls under way at once: enough to keep Telegram's 30 messages/s at a real
# network's round trip, few enough that the HTTP pool stays small.
CONCURRENT_CALLS = 8


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def retry_seconds(error: RetryAfter) -> float:
    """Return how long Telegram asked us to wait, in seconds."""
    wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


@dataclass(frozen=True)
class Call:
    """One queued Bot API call, as stored in the outbox."""

    id: int
    chat_id: int
    method: str
    params: dict[str, Any]
    caused_at: datetime | None = None
    attempts: int = 0
    not_before: datetime | None = None
    # {"case_post": case id}: remember the message as a post about that case (and with
    # "card": what it is, so Claim and Close can edit it later);
    # {"fallback_chat": chat id}: if Telegram refuses the chat, send it there instead.
    purpose: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: OutboxMessage) -> Call:
        """Return the call an outbox row holds."""
        return cls(
            row.id,
            row.chat_id,
            row.method,
            dict(row.params or {}),
            row.caused_at,
            row.attempts,
            row.not_before,
            dict(row.purpose) if row.purpose else None,
        )


# A message about a case, as sent: chat, message id, case id, and what card it is if any.
CasePostSent = tuple[int, int, int, dict[str, Any] | None]


def stored_file(file_name: str, content: bytes) -> dict[str, str]:
    """A file to upload with a call (``sendDocument``'s ``document``), as the outbox keeps it.

    The outbox holds JSON, written in the same transaction as what the file is about, so
    the file is kept as text until it is sent (a calendar file is a few kilobytes).
    """
    return {"file_name": file_name, "text": content.decode("utf-8")}


def _uploads(params: dict[str, Any]) -> dict[str, Any]:
    """Return the parameters with stored files (see :func:`stored_file`) as uploads."""
    document = params.get("document")
    if not isinstance(document, dict):
        return params
    upload = InputFile(str(document["text"]).encode("utf-8"), filename=str(document["file_name"]))
    return {**params, "document": upload}


class Delivery(Enum):
    """What happened to one call."""

    SENT = "sent"
    LATER = "later"
    REFUSED = "refused"


class DeliveredLog:
    """Forgets delivered calls, many per transaction when many finish at once (group commit)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[int, asyncio.Future[None]]] = []
        self._posts: list[CasePostSent] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, call_id: int, post: CasePostSent | None = None) -> None:
        """Return once the database no longer owes this call (and knows its case post)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((call_id, done))
        if post is not None:
            self._posts.append(post)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        wait = 0.1
        while self._pending:
            batch, self._pending = self._pending, []
            posts, self._posts = self._posts, []
            while True:
                try:
                    async with self.db.session() as session, session.begin():
                        await queries.delivered(session, [call_id for call_id, _ in batch])
                        for chat_id, message_id, case_id, card in posts:
                            await casework.record_post(
                                session,
                                chat_id=chat_id,
                                message_id=message_id,
                                case_id=case_id,
                                card=card,
                            )
                    break
                except Exception:
                    # Until this commits, a restart would send these again: keep trying.
                    log.exception("could not record %d delivered calls; retrying", len(batch))
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, 10.0)
            for _, done in batch:
                if not done.done():
                    done.set_result(None)


class Courier:
    """Sends queued Bot API calls; one chat's calls strictly in order, chats side by side."""

    def __init__(
        self, bot: Bot, db: Database, metrics: Metrics, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.bot, self.db, self.metrics, self.clock = bot, db, metrics, clock
        self._locks: dict[int, asyncio.Lock] = {}
        # How many deliveries want each chat's lock; the lock is dropped when none do.
        self._waiting: dict[int, int] = {}
        # Calls a fresh delivery holds in memory; the sweeper leaves them alone.
        self._claimed: set[int] = set()
        # Chats with stored calls nobody holds (retries, leftovers): read them back first.
        self._backlog: set[int] = set()
        self._delivered = DeliveredLog(db)
        self._sweeps: set[asyncio.Task[None]] = set()
        self._calls = asyncio.Semaphore(CONCURRENT_CALLS)

    @asynccontextmanager
    async def _chat(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._waiting[chat_id] = self._waiting.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[chat_id] -= 1
            if self._waiting[chat_id] == 0:
                del self._waiting[chat_id]
                del self._locks[chat_id]

    async def recover(self) -> int:
        """Note every chat a previous run left calls for, so new calls wait behind them."""
        async with self.db.session() as session:
            owed = await queries.outgoing_chats(session)
        self._backlog.update(chat_id for chat_id, _ in owed)
        return len(owed)

    def claim(self, calls: Sequence[Call]) -> None:
        """Hold calls for a fresh delivery (before their transaction commits)."""
        self._claimed.update(call.id for call in calls)

    def release(self, calls: Sequence[Call]) -> None:
        """Give up holding calls (their transaction failed, or the stored path takes over)."""
        self._claimed.difference_update(call.id for call in calls)

    async def deliver_fresh(self, chat_id: int, calls: Sequence[Call]) -> None:
        """Send calls just committed for ``chat_id``, from memory, unless older ones wait."""
        async with self._chat(chat_id):
            if chat_id in self._backlog:
                self.release(calls)
                await self._deliver_stored(chat_id)
                return
            for index, call in enumerate(calls):
                outcome = await self._send(call)
                self._claimed.discard(call.id)
                if outcome is Delivery.LATER:
                    self.release(calls[index + 1 :])
                    self._backlog.add(chat_id)
                    return

    async def deliver(self, chat_id: int) -> None:
        """Send what the database holds for ``chat_id`` and is due, in order."""
        async with self._chat(chat_id):
            await self._deliver_stored(chat_id)

    async def _deliver_stored(self, chat_id: int) -> None:
        while True:
            async with self.db.session() as session:
                rows = await queries.outgoing_for_chat(session, chat_id, limit=20)
            if not rows:
                self._backlog.discard(chat_id)
                return
            for row in rows:
                if row.id in self._claimed:
                    return  # a fresh delivery holds it and will keep the order
                if row.not_before is not None and row.not_before > self.clock():
                    self._backlog.add(chat_id)
                    return
                if await self._send(Call.of(row)) is Delivery.LATER:
                    self._backlog.add(chat_id)
                    return

    async def _send(self, call: Call) -> Delivery:
        params = dict(call.params)
        try:
            async with self._calls:
                result = await self.bot.do_api_request(call.method, api_kwargs=_uploads(params))
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
            fallback = (call.purpose or {}).get("fallback_chat")
            if fallback is not None and fallback != params.get("chat_id"):
                # A staff member who never opened a chat with the bot gets it in the group.
                return await self._redirect(call, params, int(fallback))
            return await self._refused(call, error)
        except TelegramError as error:
            # NetworkError covers time-outs and Telegram's 5xx: the call may or may not
            # have arrived, and a repeated message is better than a lost one.
            return await self._later(call, self._backoff(call.attempts), type(error).__name__)
        post = None
        case_id = (call.purpose or {}).get("case_post")
        if case_id is not None and isinstance(result, dict) and "message_id" in result:
            card = (call.purpose or {}).get("card")
            # A card cut into two messages has its buttons on the last: only that one is it.
            if card is not None and "reply_markup" not in params:
                card = None
            post = (int(result["chat"]["id"]), int(result["message_id"]), int(case_id), card)
        await self._delivered.record(call.id, post)
        if call.caused_at is not None and call.method == "sendMessage":
            self.metrics.reply_latency.observe((self.clock() - call.caused_at).total_seconds())
        return Delivery.SENT

    async def _redirect(self, call: Call, params: dict[str, Any], chat_id: int) -> Delivery:
        params["chat_id"] = chat_id
        params.pop("reply_parameters", None)
        async with self.db.session() as session, session.begin():
            stored = await session.get(OutboxMessage, call.id)
            if stored is not None:
                stored.params = params
        return await self._later(call, 0, "sent to the fallback chat")

    @staticmethod
    def _backoff(attempts: int) -> float:
        base: float = min(LONGEST_BACKOFF, 0.5 * 2.0**attempts)
        return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security

    async def _later(self, call: Call, seconds: float, reason: str) -> Delivery:
        self.metrics.api_failures.labels("retried").inc()
        log.warning("%s failed (%s); retrying in %.1f s", call.method, reason, seconds)
        async with self.db.session() as session, session.begin():
            await queries.postpone(
                session, call.id, self.clock() + timedelta(seconds=seconds), reason
            )
        return Delivery.LATER

    async def _refused(self, call: Call, error: TelegramError) -> Delivery:
        self.metrics.api_failures.labels("refused").inc()
        # Telegram's own description names the rule broken; it does not quote our text.
        log.error(
            "Telegram refused %s for good: %s: %s", call.method, type(error).__name__, error.message
        )
        async with self.db.session() as session, session.begin():
            await queries.give_up(
                session, call.id, self.clock(), f"{type(error).__name__}: {error.message}"
            )
            if isinstance(error, Forbidden) and call.chat_id > 0:
                # A resident who blocked the bot: marked, and their check-ins paused, so
                # nothing more is tried until they come back.
                await checkins.pause_blocked(session, call.chat_id, self.clock())
        return Delivery.REFUSED

    async def sweep_forever(self) -> None:
        """Keep delivering what waits: retries that fell due, and what a restart left behind."""
        while True:
            try:
                async with self.db.session() as session:
                    owed = await queries.outgoing_chats(session)
                for chat_id, call_id in owed:
                    if call_id in self._claimed:
                        continue
                    self._backlog.add(chat_id)
                    if chat_id not in self._waiting:
                        task = asyncio.create_task(self.deliver(chat_id))
                        self._sweeps.add(task)
                        task.add_done_callback(self._sweeps.discard)
            except Exception:
                self.metrics.errors.labels("courier").inc()
                log.exception("sweeping the outbox failed; trying again")
            await asyncio.sleep(SWEEP_INTERVAL)

    def busy(self) -> bool:
        """Tell whether a delivery is under way."""
        return bool(self._waiting)
