"""Nothing is lost or done twice: webhook secret, SIGKILL mid-burst, restarts, Bot API errors."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from bot.app.runtime import Nara
from tests.bot.harness import LocalTelegram, bot_settings, query, running_bot
from tests.bot.processes import BotProcess
from tgserver import SandboxClient


def delivered_updates(telegram: LocalTelegram) -> int:
    """Updates the webhook answered with a 2xx (Telegram forgets those)."""
    bot = telegram.world.find_bot()
    return bot.next_update_id - 1 - len(bot.updates)


async def bot_state_per_chat(database_url: str) -> tuple[Counter[int], Counter[int]]:
    """Handled updates and undelivered outbox calls per chat, read straight from the database."""
    handled = await query(
        database_url,
        "SELECT chat_key, count(*) FROM inbox WHERE handled_at IS NOT NULL GROUP BY chat_key",
    )
    owed = await query(
        database_url,
        "SELECT chat_id, count(*) FROM outbox WHERE failed_at IS NULL GROUP BY chat_id",
    )
    return Counter(dict(handled)), Counter(dict(owed))


async def test_the_webhook_refuses_a_wrong_or_missing_secret(
    telegram: LocalTelegram, sqlite_url: str
) -> None:
    settings = bot_settings(
        telegram.url,
        sqlite_url,
        webhook_url="http://127.0.0.1:9/telegram/in",
        webhook_secret="the-right-secret",
    )
    async with running_bot(settings) as nara:
        update = {
            "update_id": 77,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "X"},
                "text": "hej",
            },
        }
        url = f"http://127.0.0.1:{nara.port}/telegram/in"
        async with aiohttp.ClientSession() as session:
            for headers in (
                {},
                {"X-Telegram-Bot-Api-Secret-Token": "the-wrong-secret"},
                {"X-Telegram-Bot-Api-Secret-Token": "the-right-secre"},
            ):
                async with session.post(url, json=update, headers=headers) as response:
                    assert response.status == 401
            async with nara.db.session() as session_db:
                from storage import queries

                assert await queries.count_pending_updates(session_db) == 0
                assert await queries.pending_updates(session_db) == []
            async with session.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "the-right-secret"}
            ) as response:
                assert response.status == 200


# Each command gets a reply we can tell apart, so the order of replies shows what happened.
SCRIPT = ["/help", "/start", "/language", "/nonsense", "/help", "/language", "/start"]


def reply_kind(message: object) -> str:
    """Name the command a bot reply answers (English replies)."""
    if message.button_texts:  # type: ignore[attr-defined]
        return "/language"
    text = message.text  # type: ignore[attr-defined]
    if "automated service" in text:
        return "/start"
    if "do not know that command" in text:
        return "/nonsense"
    return "/help"


def bot_replies(telegram: LocalTelegram, chat_id: int) -> list[str]:
    """The kinds of the bot's messages in a chat, in order, as the server recorded them."""
    bot = telegram.world.find_bot()
    chat = telegram.world.find_chat(bot, chat_id)
    if chat is None:
        return []
    messages = sorted(
        (m for m in chat.messages.values() if m.sender.id == bot.id), key=lambda m: m.message_id
    )
    view = telegram.world.message_view
    from tgserver.client import ChatMessage

    return [reply_kind(ChatMessage(view(m))) for m in messages]


def without_one_repeat(replies: list[str], repeats: int) -> list[str]:
    """Drop up to ``repeats`` immediate repetitions (a reply sent again after the kill)."""
    result: list[str] = []
    for kind in replies:
        if repeats and result and result[-1] == kind:
            repeats -= 1
            continue
        result.append(kind)
    return result


async def kill_mid_burst_and_restart(
    telegram: LocalTelegram,
    tg: SandboxClient,
    tmp_path: Path,
    database_url: str,
    *,
    webhook: bool,
    people: int,
    rounds: int,
) -> tuple[int, int, int]:
    """Kill the bot mid-burst, restart it, and check every resident's replies.

    Returns (updates handled before the kill, all updates, replies that were in flight).
    """
    bot = BotProcess(
        telegram_url=telegram.url,
        database_url=database_url,
        log_path=tmp_path / "bot.log",
        webhook=webhook,
    )
    await bot.start()
    residents = [await tg.add_user(f"Resident {i}", language_code="en") for i in range(people)]
    script = SCRIPT * rounds
    chat_ids = [r.id for r in residents]

    async def write(resident: object) -> None:
        for command in script:
            await resident.say(command)  # type: ignore[attr-defined]

    burst = asyncio.gather(*(write(r) for r in residents))
    total = len(residents) * len(script)
    if webhook:
        await BotProcess.wait_until(
            lambda: delivered_updates(telegram) >= total // 3, "a third delivered"
        )
    else:
        await BotProcess.wait_until(
            lambda: sum(len(bot_replies(telegram, c)) for c in chat_ids) >= total // 4,
            "a quarter answered",
        )
    await bot.kill_and_fence(telegram)
    got_200 = delivered_updates(telegram)
    # What the server has, against what the dead bot knew it had sent: a reply the bot had
    # handed to Telegram but not yet recorded as accepted is the only kind that can repeat.
    handled, owed = await bot_state_per_chat(database_url)
    handled_before_kill = sum(handled.values())
    assert 0 < handled_before_kill < total, "the kill must land in the middle of the burst"
    if webhook:
        assert got_200 < total, "the kill must land while updates still arrive"
    in_flight = {c: len(bot_replies(telegram, c)) - (handled[c] - owed[c]) for c in chat_ids}
    assert all(count in (0, 1) for count in in_flight.values()), in_flight
    await burst
    await bot.start()
    await BotProcess.wait_until(
        lambda: all(len(bot_replies(telegram, c)) >= len(script) + in_flight[c] for c in chat_ids),
        "every update to be answered",
    )
    if webhook:
        await BotProcess.wait_until(
            lambda: delivered_updates(telegram) == total, "every update delivered"
        )
    assert bot.terminate() == 0
    for chat in chat_ids:
        replies = bot_replies(telegram, chat)
        assert len(replies) == len(script) + in_flight[chat], (chat, replies, in_flight[chat])
        assert without_one_repeat(replies, in_flight[chat]) == script, (chat, replies)
    handled_after, owed_after = await bot_state_per_chat(database_url)
    assert sum(handled_after.values()) == total
    assert sum(owed_after.values()) == 0
    return handled_before_kill, total, sum(in_flight.values())


@pytest.mark.slow
async def test_sigkill_during_a_webhook_burst_loses_nothing_and_repeats_nothing(
    telegram: LocalTelegram, tg: SandboxClient, tmp_path: Path, any_database_url: str
) -> None:
    handled, total, in_flight = await kill_mid_burst_and_restart(
        telegram, tg, tmp_path, any_database_url, webhook=True, people=12, rounds=2
    )
    print(f"webhook: killed with {handled}/{total} updates handled; replies in flight: {in_flight}")


@pytest.mark.slow
async def test_sigkill_while_polling_loses_nothing_and_repeats_nothing(
    telegram: LocalTelegram, tg: SandboxClient, tmp_path: Path, any_database_url: str
) -> None:
    handled, total, in_flight = await kill_mid_burst_and_restart(
        telegram, tg, tmp_path, any_database_url, webhook=False, people=8, rounds=2
    )
    print(f"polling: killed with {handled}/{total} updates handled; replies in flight: {in_flight}")


async def test_replies_survive_429_and_5xx_and_arrive_once(
    nara: Nara, tg: SandboxClient, telegram: LocalTelegram
) -> None:
    rut = await tg.add_user("Rut", language_code="sv")
    telegram.world.faults.fail_next("sendMessage", count=2, status=502)
    telegram.world.faults.throttle_next("sendMessage", retry_after=1)
    telegram.world.faults.fail_next("sendMessage", status=500)
    await rut.say("/help")
    reply = await rut.next_message()
    assert "112" in reply.text
    await rut.say("/start")
    assert "automatisk" in (await rut.next_message()).text
    messages = [m for m in await rut.chat_messages() if m.from_bot]
    assert len(messages) == 2
    text = nara.metrics.exposition().decode()
    assert 'nara_bot_api_failures_total{kind="retried"} 4.0' in text


async def test_one_residents_messages_are_answered_in_order(nara: Nara, tg: SandboxClient) -> None:
    ali = await tg.add_user("Ali", language_code="en")
    commands = ["/help", "/language", "/start", "/nonsense", "/help", "/language"] * 3
    for command in commands:
        await ali.say(command)
    replies = [await ali.next_message() for _ in commands]
    kinds = []
    for reply in replies:
        if reply.button_texts:
            kinds.append("/language")
        elif "automated service" in reply.text:
            kinds.append("/start")
        elif "do not know that command" in reply.text:
            kinds.append("/nonsense")
        else:
            kinds.append("/help")
    assert kinds == commands
