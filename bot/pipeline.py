"""From a stored update to its replies: chats side by side, one chat's updates in order.

Every update is committed to the inbox before Telegram hears we have it (webhook:
before the 200; polling: before the next ``offset`` confirms it). Handling one is a
single transaction that marks it handled, changes what the flow decided and queues
the replies in the outbox; so after a crash an update is handled again only if its
transaction never committed, and nothing it decided is lost or done twice.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot.courier import Courier
from bot.metrics import Metrics
from bot.settings import Settings
from bot.turn import Turn, handling
from flows import welcome
from flows.language import locale_for_telegram
from storage import queries
from storage.db import Database

log = logging.getLogger(__name__)

LONGEST_DATABASE_WAIT = 30.0


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def chat_key(payload: dict[str, Any]) -> int:
    """Return the chat an update belongs to (its ordering key), from Telegram's raw JSON."""
    for kind in ("message", "edited_message", "channel_post", "edited_channel_post",
                 "my_chat_member", "chat_member", "chat_join_request", "business_message"):
        body = payload.get(kind)
        if isinstance(body, dict) and isinstance(body.get("chat"), dict):
            return int(body["chat"]["id"])
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return int(message["chat"]["id"])
        return int(query["from"]["id"])
    for body in payload.values():
        if isinstance(body, dict) and isinstance(body.get("from"), dict):
            return int(body["from"]["id"])
    return 0


@dataclass(order=True, frozen=True)
class Arrival:
    """A stored update waiting to be handled."""

    update_id: int
    chat_key: int = field(compare=False)
    payload: dict[str, Any] = field(compare=False)
    received_at: datetime = field(compare=False)


class HandlingFailed(Exception):
    """A handler raised; the update's transaction is rolled back."""


class Pipeline:
    """Stores updates, then hands each to the PTB application in its chat's lane."""

    def __init__(
        self,
        *,
        db: Database,
        application: Application,  # type: ignore[type-arg]
        courier: Courier,
        settings: Settings,
        metrics: Metrics,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db, self.application, self.courier = db, application, courier
        self.settings, self.metrics, self.clock = settings, metrics, clock
        self._queues: dict[int, list[Arrival]] = {}
        self._lanes: dict[int, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        # Closed until the application is ready: updates are stored and queued, not handled.
        self._open = False

    def open(self) -> None:
        """Start handling queued updates (call once the PTB application is initialized)."""
        self._open = True
        for key in list(self._queues):
            self._start_lane(key)

    async def accept(self, payloads: Sequence[dict[str, Any]]) -> int:
        """Commit updates to the inbox, then queue the new ones; return how many were new.

        Raises whatever the database raises: the caller must not confirm the updates then.
        """
        now = self.clock()
        rows = [(int(p["update_id"]), chat_key(p), p) for p in payloads]
        async with self.db.session() as session, session.begin():
            new = await queries.store_updates(session, rows, now)
        for update_id, key, payload in rows:
            if update_id in new:
                self._queue(Arrival(update_id, key, payload, now))
        return len(new)

    async def recover(self) -> int:
        """Queue every update stored but not handled before the last stop; return how many."""
        async with self.db.session() as session:
            pending = await queries.pending_updates(session)
        for row in pending:
            self._queue(Arrival(row.update_id, row.chat_key, row.payload or {}, row.received_at))
        if pending:
            log.info("resuming %d updates stored before the last stop", len(pending))
        return len(pending)

    def _queue(self, arrival: Arrival) -> None:
        queue = self._queues.setdefault(arrival.chat_key, [])
        if any(waiting.update_id == arrival.update_id for waiting in queue):
            return
        heapq.heappush(queue, arrival)
        if self._open:
            self._start_lane(arrival.chat_key)

    def _start_lane(self, key: int) -> None:
        if key not in self._lanes:
            self._idle.clear()
            self._lanes[key] = asyncio.create_task(self._lane(key))

    async def _lane(self, key: int) -> None:
        queue = self._queues[key]
        try:
            while queue:
                arrival = queue[0]
                await self._handle_until_stored(arrival)
                heapq.heappop(queue)
        finally:
            del self._lanes[key]
            if not queue:
                del self._queues[key]
            if not self._lanes:
                self._idle.set()

    async def _handle_until_stored(self, arrival: Arrival) -> None:
        wait = 0.5
        while True:
            try:
                await self.handle(arrival)
                return
            except (SQLAlchemyError, OSError):
                # The database is away; the update stays stored and waits for it, in order.
                self.metrics.errors.labels("database").inc()
                log.exception("database unavailable while handling update %s; retrying in %.0f s",
                              arrival.update_id, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, LONGEST_DATABASE_WAIT)
            except Exception:
                # A bug must not stop this chat's lane: record it and move on.
                self.metrics.errors.labels("pipeline").inc()
                log.exception("update %s could not be handled", arrival.update_id)
                async with self.db.session() as session, session.begin():
                    await queries.mark_handled(session, arrival.update_id, self.clock(), "error")
                return

    async def handle(self, arrival: Arrival) -> None:
        """Handle one stored update exactly once, then deliver what it queued."""
        update = Update.de_json(arrival.payload, self.application.bot)
        outcome = "ok"
        try:
            chats = await self._decide(arrival, update)
        except HandlingFailed:
            outcome = "error"
            self.metrics.errors.labels("handler").inc()
            chats = await self._apologise(arrival, update)
        if chats is None:
            return  # handled before (a repeat); nothing more to do
        self.metrics.updates.labels(outcome).inc()
        for chat_id in chats:
            await self.courier.deliver(chat_id)

    async def _decide(self, arrival: Arrival, update: Update) -> set[int] | None:
        now = self.clock()
        async with self.db.session() as session:
            async with session.begin():
                if not await queries.mark_handled(session, arrival.update_id, now):
                    return None
                turn = Turn(
                    session=session,
                    settings=self.settings,
                    update_id=arrival.update_id,
                    received_at=arrival.received_at,
                    now=now,
                )
                with handling(turn):
                    await self.application.process_update(update)
                if turn.failure is not None:
                    raise HandlingFailed from turn.failure
        return turn.chats

    async def _apologise(self, arrival: Arrival, update: Update) -> set[int] | None:
        user, chat = update.effective_user, update.effective_chat
        async with self.db.session() as session, session.begin():
            if not await queries.mark_handled(session, arrival.update_id, self.clock(), "error"):
                return None
            if chat is None or chat.type != chat.PRIVATE or user is None:
                return set()
            resident = await queries.find_resident(session, user.id)
            locale = resident.locale if resident else locale_for_telegram(user.language_code)
            turn = Turn(
                session=session,
                settings=self.settings,
                update_id=arrival.update_id,
                received_at=arrival.received_at,
                now=self.clock(),
            )
            if update.callback_query is not None:
                turn.call(chat.id, "answerCallbackQuery", {"callback_query_id": update.callback_query.id})
            turn.say(chat.id, welcome.something_went_wrong(), locale=locale)
        return turn.chats

    async def drain(self) -> None:
        """Wait until every queued update has been handled."""
        await self._idle.wait()

    def backlog(self) -> int:
        """Return how many updates wait in memory."""
        return sum(len(queue) for queue in self._queues.values())

    async def cancel(self) -> None:
        """Stop every lane now; what they had not committed stays stored for the next start."""
        lanes = list(self._lanes.values())
        for lane in lanes:
            lane.cancel()
        await asyncio.gather(*lanes, return_exceptions=True)
