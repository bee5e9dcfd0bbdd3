"""Long polling that confirms an update to Telegram only after it is stored."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.app.pipeline import Pipeline
from bot.core.courier import retry_seconds

log = logging.getLogger(__name__)

# Every update kind a handler may want, including blocks and unblocks of the bot.
ALLOWED_UPDATES: Final = ["message", "edited_message", "callback_query", "my_chat_member"]
POLL_TIMEOUT: Final = 25


async def poll(bot: Bot, pipeline: Pipeline, *, timeout: int = POLL_TIMEOUT) -> None:  # noqa: ASYNC109 - Telegram's long-poll parameter
    """Fetch updates forever; cancel the task to stop.

    PTB's own Updater confirms updates as soon as they are queued, so a crash loses
    them. Here ``offset`` moves past an update only once the inbox holds it: after a
    restart Telegram sends again what we had not confirmed, and the inbox refuses
    whatever it already has.
    """
    offset: int | None = None
    wait = 1.0
    while True:
        params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        try:
            updates = await bot.do_api_request(
                "getUpdates", api_kwargs=params, read_timeout=timeout + 10
            )
        except RetryAfter as error:
            await asyncio.sleep(retry_seconds(error))
            continue
        except Conflict:
            log.error("Telegram says another instance is polling or a webhook is set; waiting")
            await asyncio.sleep(5)
            continue
        except InvalidToken:
            log.error("Telegram refused the bot token; check NARA_TELEGRAM_TOKEN")
            await asyncio.sleep(30)
            continue
        except (NetworkError, TelegramError) as error:
            log.warning("getUpdates failed (%s); retrying in %.0f s", type(error).__name__, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, 30.0)
            continue
        wait = 1.0
        if not updates:
            continue
        await _store(pipeline, updates)
        offset = max(int(update["update_id"]) for update in updates) + 1


async def _store(pipeline: Pipeline, updates: list[dict[str, Any]]) -> None:
    wait = 0.5
    while True:
        try:
            await pipeline.accept(updates)
            return
        except Exception:
            # Not stored means not confirmed: keep trying before asking Telegram for more.
            log.exception("could not store %d updates; retrying in %.0f s", len(updates), wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, 30.0)
