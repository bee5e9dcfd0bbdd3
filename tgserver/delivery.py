"""Webhook delivery as Telegram does it: POST each update until the receiver answers 2xx.

Updates of one chat go out strictly one after another (the next only after the previous got a
2xx); different chats are delivered concurrently, up to the webhook's ``max_connections``. A
failed attempt is retried with growing pauses and reported in getWebhookInfo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from tgserver.world import Bot, Update, Webhook, World

log = logging.getLogger(__name__)


class WebhookDelivery:
    """Posts the pending updates of every bot that has a webhook.

    Args:
        world: The world whose bots' updates are delivered.
    """

    def __init__(self, world: World):
        self.world = world
        self._session: aiohttp.ClientSession | None = None
        self._runner: asyncio.Task[None] | None = None
        # bot id -> update id -> (delivery task, chat id)
        self._in_flight: dict[int, dict[int, tuple[asyncio.Task[None], int | None]]] = {}

    async def start(self) -> None:
        """Start delivering in the background."""
        # Never pick up proxy settings from the environment: receivers are local.
        self._session = aiohttp.ClientSession(trust_env=False)
        self._runner = asyncio.create_task(self._run(), name="tgserver-webhook-delivery")

    async def stop(self) -> None:
        """Stop delivering; updates not yet delivered stay pending."""
        tasks = [task for flights in self._in_flight.values() for task, _ in flights.values()]
        if self._runner is not None:
            tasks.append(self._runner)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._in_flight.clear()
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            signal = self.world.change_signal()
            for bot in list(self.world.bots.values()):
                self._dispatch(bot)
            await signal.wait()

    def _dispatch(self, bot: Bot) -> None:
        hook = bot.webhook
        if hook is None:
            return
        flights = self._in_flight.setdefault(bot.id, {})
        # A chat with an update in flight, or an earlier update still waiting, is blocked:
        # that keeps each chat's updates in order.
        blocked = {chat_id for _, chat_id in flights.values() if chat_id is not None}
        for update in list(bot.updates):
            if len(flights) >= hook.max_connections:
                break
            if update.update_id in flights or update.chat_id in blocked:
                if update.chat_id is not None:
                    blocked.add(update.chat_id)
                continue
            task = asyncio.create_task(self._deliver(bot, hook, update))
            flights[update.update_id] = (task, update.chat_id)
            if update.chat_id is not None:
                blocked.add(update.chat_id)

    async def _deliver(self, bot: Bot, hook: Webhook, update: Update) -> None:
        pause = self.world.webhook_retry_start
        try:
            while bot.webhook is hook and any(u.update_id == update.update_id for u in bot.updates):
                error = await self._post(hook, update)
                if error is None:
                    self.world.drop_update(bot, update.update_id)
                    return
                hook.last_error_date = self.world.now()
                hook.last_error_message = error
                self.world.emit("webhook_error", bot_id=bot.id, update_id=update.update_id,
                                error=error)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.world.webhook_retry_cap)
        finally:
            self._in_flight.get(bot.id, {}).pop(update.update_id, None)
            self.world.notify()

    async def _post(self, hook: Webhook, update: Update) -> str | None:
        """Send one update; return None on a 2xx, else the error getWebhookInfo reports."""
        assert self._session is not None
        headers = {}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        timeout = aiohttp.ClientTimeout(total=self.world.webhook_timeout)
        try:
            async with self._session.post(
                hook.url, json=update.to_api(), headers=headers, timeout=timeout
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            log.debug("webhook delivery to %s failed", hook.url, exc_info=True)
            return f"Connection error: {exc.__class__.__name__}"
