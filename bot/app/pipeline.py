"""From a stored update to its replies: chats side by side, one chat's updates in order.

Every update is committed to the inbox before Telegram hears we have it (webhook:
before the 200; polling: before the next ``offset`` confirms it). Handling an update
is one transaction that marks it handled, changes what the flow decided and queues
the replies in the outbox; so after a crash an update is handled again only if its
transaction never committed, and nothing it decided is lost or done twice.

Under load, the next update of every waiting chat is handled in one shared
transaction (a batch): one commit for many residents instead of one each. If any
handler in a batch fails, the batch is rolled back and its updates are handled one
by one, so one resident's failure never touches another's.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot.cases.casework import urgent_without_a_case, words
from bot.core.courier import Call, Courier
from bot.core.metrics import Metrics
from bot.core.settings import Settings
from bot.core.turn import Turn, handling
from bot.core.usage import UsageTally
from flows import welcome
from flows.catalogue import Catalogue
from flows.helplines import Helplines
from flows.language import locale_for_telegram
from flows.triage.classify import triage
from flows.triage.lexicon import Lexicon
from storage import queries
from storage.db import Database

log = logging.getLogger(__name__)

LONGEST_DATABASE_WAIT: Final = 30.0
# Updates handled in one transaction at most (one per chat).
BATCH: Final = 64


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def chat_key(payload: dict[str, Any]) -> int:
    """Return the chat an update belongs to (its ordering key), from Telegram's raw JSON."""
    for kind in (
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "business_message",
    ):
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
    """A handler raised; the transaction is rolled back."""


def _calls(turn: Turn) -> list[Call]:
    return [Call.of(row) for row in turn.outgoing]


class Pipeline:
    """Stores updates, then hands them to the PTB application: per chat in order, in batches."""

    def __init__(
        self,
        *,
        db: Database,
        application: Application,  # type: ignore[type-arg]
        courier: Courier,
        settings: Settings,
        metrics: Metrics,
        catalogue: Catalogue | None = None,
        helplines: Helplines | None = None,
        lexicon: Lexicon | None = None,
        usage: UsageTally | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db, self.application, self.courier = db, application, courier
        self.settings, self.metrics, self.clock = settings, metrics, clock
        self.catalogue = catalogue
        self.helplines = helplines
        self.lexicon = lexicon
        self.usage = usage
        self._queues: dict[int, list[Arrival]] = {}
        self._queued: set[int] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

    # --- taking updates in --------------------------------------------------------------

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
        if arrival.update_id in self._queued:
            return
        self._queued.add(arrival.update_id)
        heapq.heappush(self._queues.setdefault(arrival.chat_key, []), arrival)
        self._idle.clear()
        self._wake.set()

    def open(self) -> None:
        """Start handling queued updates (call once the PTB application is initialized)."""
        if self._worker is None:
            self._worker = asyncio.create_task(self._work())

    # --- handling -----------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queues:
                heads = [queue[0] for queue in self._queues.values()][:BATCH]
                await self._handle_until_stored(heads)
                for arrival in heads:
                    queue = self._queues[arrival.chat_key]
                    heapq.heappop(queue)
                    self._queued.discard(arrival.update_id)
                    if not queue:
                        del self._queues[arrival.chat_key]
            if not self._deliveries:
                self._idle.set()

    async def _handle_until_stored(self, arrivals: list[Arrival]) -> None:
        wait = 0.5
        while True:
            try:
                await self._handle(arrivals)
                return
            except (SQLAlchemyError, OSError):
                # The database is away; the updates stay stored and wait for it, in order.
                self.metrics.errors.labels("database").inc()
                log.exception(
                    "database unavailable while handling %d updates; retrying in %.0f s",
                    len(arrivals),
                    wait,
                )
                await asyncio.sleep(wait)
                wait = min(wait * 2, LONGEST_DATABASE_WAIT)

    async def _handle(self, arrivals: list[Arrival]) -> None:
        updates = []
        for arrival in arrivals:
            try:
                updates.append((arrival, Update.de_json(arrival.payload, self.application.bot)))
            except Exception:
                # Not an update we can read: note it, never stop the line for it.
                self.metrics.errors.labels("pipeline").inc()
                log.exception("update %s could not be read", arrival.update_id)
                async with self.db.session() as session, session.begin():
                    await queries.mark_handled(session, arrival.update_id, self.clock(), "error")
        if not updates:
            return
        try:
            turns = await self._decide(updates)
        except HandlingFailed:
            if len(updates) == 1:
                turns = [await self._apologise(*updates[0])]
            else:
                turns = [await self._decide_alone(arrival, update) for arrival, update in updates]
        for turn in turns:
            if turn is not None:
                self._deliver(turn)

    async def _decide(self, updates: list[tuple[Arrival, Update]]) -> list[Turn | None]:
        """Handle several chats' next updates in one transaction; all commit or none."""
        now = self.clock()
        turns: list[Turn] = []
        claimed: list[Call] = []
        try:
            async with self.db.session() as session, session.begin():
                mine = await queries.mark_handled_many(
                    session, [arrival.update_id for arrival, _ in updates], now
                )
                users = [u.effective_user.id for _, u in updates if u.effective_user is not None]
                known = await queries.residents_by_user(session, users)
                # The staff role is looked up for every update, never remembered.
                staff = await queries.active_staff_by_user(session, users)
                for arrival, update in updates:
                    if arrival.update_id not in mine:
                        continue  # handled before a restart
                    turn = Turn(
                        session=session,
                        settings=self.settings,
                        update_id=arrival.update_id,
                        received_at=arrival.received_at,
                        now=now,
                        known_residents=known,
                        catalogue=self.catalogue,
                        helplines=self.helplines,
                        lexicon=self.lexicon,
                        known_staff=staff,
                        usage=self.usage,
                    )
                    with handling(turn):
                        await self.application.process_update(update)
                    if turn.failure is not None:
                        raise HandlingFailed from turn.failure
                    turns.append(turn)
                await session.flush()
                claimed = [call for turn in turns for call in _calls(turn)]
                # Held before the commit, so the sweeper never sends them as well.
                self.courier.claim(claimed)
        except BaseException:
            self.courier.release(claimed)
            raise
        for _ in turns:
            self.metrics.updates.labels("ok").inc()
        return list(turns)

    async def _decide_alone(self, arrival: Arrival, update: Update) -> Turn | None:
        try:
            (turn,) = await self._decide([(arrival, update)]) or [None]
            return turn
        except HandlingFailed:
            return await self._apologise(arrival, update)

    async def _apologise(self, arrival: Arrival, update: Update) -> Turn | None:
        self.metrics.errors.labels("handler").inc()
        user, chat = update.effective_user, update.effective_chat
        claimed: list[Call] = []
        try:
            async with self.db.session() as session, session.begin():
                if not await queries.mark_handled(
                    session, arrival.update_id, self.clock(), "error"
                ):
                    return None
                self.metrics.updates.labels("error").inc()
                turn = Turn(
                    session=session,
                    settings=self.settings,
                    update_id=arrival.update_id,
                    received_at=arrival.received_at,
                    now=self.clock(),
                    helplines=self.helplines,
                )
                if chat is None or chat.type != chat.PRIVATE or user is None:
                    return turn
                resident = await queries.find_resident(session, user.id)
                locale = resident.locale if resident else locale_for_telegram(user.language_code)
                if update.callback_query is not None:
                    turn.call(
                        chat.id,
                        "answerCallbackQuery",
                        {"callback_query_id": update.callback_query.id},
                    )
                message = update.effective_message
                from_resident = await queries.active_staff_member(session, user.id) is None
                verdict = (
                    triage(words(message), lexicon=self.lexicon)
                    if message is not None and from_resident
                    else None
                )
                if message is not None and verdict and verdict.caught and verdict.category:
                    # Even when handling failed, a person who may be in danger gets the
                    # numbers at once (the "ask" level too: no question can wait for them).
                    urgent_without_a_case(turn, message, verdict.category, locale)
                else:
                    turn.say(chat.id, welcome.something_went_wrong(), locale=locale)
                await session.flush()
                claimed = _calls(turn)
                self.courier.claim(claimed)
        except BaseException:
            self.courier.release(claimed)
            raise
        return turn

    async def run_job(self, job: Callable[[Turn], Awaitable[object]]) -> object:
        """Run work that is not an update (a timer) like one: one transaction, then delivery."""
        claimed: list[Call] = []
        now = self.clock()
        try:
            async with self.db.session() as session, session.begin():
                turn = Turn(
                    session=session,
                    settings=self.settings,
                    update_id=0,
                    received_at=now,
                    now=now,
                    catalogue=self.catalogue,
                    helplines=self.helplines,
                )
                with handling(turn):
                    result = await job(turn)
                await session.flush()
                claimed = _calls(turn)
                self.courier.claim(claimed)
        except BaseException:
            self.courier.release(claimed)
            raise
        self._deliver(turn)
        return result

    def _deliver(self, turn: Turn) -> None:
        by_chat: dict[int, list[Call]] = {}
        for call in _calls(turn):
            by_chat.setdefault(call.chat_id, []).append(call)
        for chat_id, calls in by_chat.items():
            task = asyncio.create_task(self.courier.deliver_fresh(chat_id, calls))
            self._deliveries.add(task)
            task.add_done_callback(self._delivered)

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.metrics.errors.labels("courier").inc()
            log.error("delivery failed: %s", type(task.exception()).__name__)
        if not self._deliveries and not self._queues:
            self._idle.set()

    # --- stopping -----------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait until every queued update has been handled and its replies delivered."""
        await self._idle.wait()

    def backlog(self) -> int:
        """Return how many updates wait in memory."""
        return sum(len(queue) for queue in self._queues.values())

    async def cancel(self) -> None:
        """Stop now; what was not committed stays stored for the next start."""
        tasks = [*self._deliveries, *([self._worker] if self._worker else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
