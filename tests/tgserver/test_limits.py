"""Flood limits and fault injection, on a fake clock and a seeded generator (no timing)."""

from __future__ import annotations

import datetime as dtm
from collections.abc import AsyncIterator

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, RetryAfter

from tests.tgserver.conftest import FakeClock, Server, running_server
from tgserver.client import SandboxClient
from tgserver.limits import Faults, RateLimits
from tgserver.world import World


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def limited(clock: FakeClock) -> AsyncIterator[Server]:
    world = World(monotonic=clock, rate_limits=RateLimits(enabled=True))
    async with running_server(world) as served:
        yield served


def stored_texts(server: Server, chat_id: int) -> list[str | None]:
    chat = server.world.chat_for(chat_id)
    return [m.text for m in chat.messages.values() if m.sender.is_bot]


@pytest.mark.usefixtures("ptb_timedelta")
async def test_per_chat_burst_then_one_a_second(limited: Server, clock: FakeClock) -> None:
    alice = limited.started_user()
    async with limited.ptb() as bot:
        for n in range(3):
            await bot.send_message(alice.id, f"burst {n}")
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(alice.id, "one too many")
        assert raised.value.retry_after == dtm.timedelta(seconds=1)
        assert stored_texts(limited, alice.id) == ["burst 0", "burst 1", "burst 2"]
        clock.advance(1.0)
        await bot.send_message(alice.id, "after a second")
        with pytest.raises(RetryAfter):
            await bot.send_message(alice.id, "again too soon")
        # Other chats have their own allowance.
        bob = limited.started_user("Bob")
        await bot.send_message(bob.id, "hej Bob")
    assert stored_texts(limited, alice.id)[-1] == "after a second"


@pytest.mark.usefixtures("ptb_timedelta")
async def test_group_limit_is_twenty_a_minute(limited: Server, clock: FakeClock) -> None:
    world = limited.world
    alice = world.add_user("Alice")
    group = world.add_group("Handläggare", [alice], bots=[limited.bot])
    async with limited.ptb() as bot:
        for n in range(20):
            await bot.send_message(group.id, f"{n}")
            clock.advance(1.0)  # well within the per-chat rate
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(group.id, "21st")
        # 20 in any minute: the first of them, sent 20 s ago, leaves the window in 40 s.
        assert raised.value.retry_after == dtm.timedelta(seconds=40)
        clock.advance(40.0)
        await bot.send_message(group.id, "a minute after the first")


@pytest.mark.usefixtures("ptb_timedelta")
async def test_bot_wide_limit_and_uncounted_methods(limited: Server, clock: FakeClock) -> None:
    people = [limited.started_user(f"P{n}") for n in range(31)]
    async with limited.ptb() as bot:
        sent = await bot.send_message(people[0].id, "Välj", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Ja", callback_data="ja")]]))
        for person in people[1:30]:
            await bot.send_message(person.id, "hej")
        with pytest.raises(RetryAfter):
            await bot.send_message(people[30].id, "the 31st this second")
        # Answering buttons and reading updates are not flood-limited.
        chat = limited.world.private_chat(limited.bot, people[0])
        query = limited.world.press(people[0], chat.messages[sent.message_id], "ja")
        assert await bot.answer_callback_query(query.id)
        assert await bot.get_updates()
        clock.advance(1.0)
        await bot.send_message(people[30].id, "next second")


async def test_limits_are_off_by_default(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    for n in range(40):
        await bot.send_message(alice.id, f"{n}")
    assert len(stored_texts(server, alice.id)) == 40


async def test_failed_calls_store_nothing(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    server.world.faults.fail_next("sendMessage", count=1, status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(alice.id, "lost")
    server.world.faults.fail_next("sendmessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(alice.id, "lost too")
    assert stored_texts(server, alice.id) == []
    await bot.send_message(alice.id, "delivered")
    assert stored_texts(server, alice.id) == ["delivered"]


@pytest.mark.usefixtures("ptb_timedelta")
async def test_throttle_and_other_methods(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    server.world.faults.throttle_next("sendMessage", retry_after=7)
    assert (await bot.get_me()).id == 123456  # other methods are untouched
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(alice.id, "throttled")
    assert raised.value.retry_after == dtm.timedelta(seconds=7)
    assert stored_texts(server, alice.id) == []
    assert server.world.faults.rules == []


async def test_lost_response_still_takes_effect(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    server.world.faults.fail_next("sendMessage", lose_response=True)
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "sent, but the answer was lost")
    assert stored_texts(server, alice.id) == ["sent, but the answer was lost"]


async def test_delay_rule_passes_the_call(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    server.world.faults.delay("sendMessage", 0.01, count=1)
    sent = await bot.send_message(alice.id, "slow")
    assert sent.text == "slow"
    assert server.world.faults.rules == []


def test_seeded_fail_rate_is_reproducible() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = Faults()
        faults.set_fail_rate(0.3, seed=seed)
        return [faults.take("sendmessage") is not None for _ in range(200)]

    first = pattern(42)
    assert first == pattern(42)
    assert first != pattern(43)
    assert 30 < sum(first) < 90
    faults = Faults()
    faults.set_fail_rate(1.0, seed=1)
    assert faults.take("getupdates") is None  # long polling is spared


async def test_faults_through_the_control_api(server: Server, tg: SandboxClient,
                                              bot: telegram.Bot) -> None:
    alice = server.started_user()
    await tg.fail_next("sendMessage", count=2, status=502)
    assert (await tg.request("GET", "/faults"))["rules"][0]["count"] == 2
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(alice.id, "x")
    await bot.send_message(alice.id, "ok")
    await tg.set_fail_rate(1.0, seed=3)
    with pytest.raises(NetworkError):
        await bot.get_me()
    await tg.clear_faults()
    assert (await bot.get_me()).id == 123456
    limits = await tg.set_rate_limits(enabled=True, per_chat_burst=1)
    assert (limits["enabled"], limits["per_chat_burst"]) == (True, 1)
    assert server.world.rate_limiter.limits.per_chat_burst == 1
