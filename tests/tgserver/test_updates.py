"""Update delivery: getUpdates (offsets, long polling, conflicts) and webhooks."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from tests.tgserver.conftest import Server

FAILSAFE = 10.0  # generous bound on waits; never a speed assertion


async def until(predicate: Any, what: str) -> None:
    """Wait (yielding to the server) until ``predicate()`` holds."""
    step = 0.005
    for _ in range(int(FAILSAFE / step)):
        if predicate():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"gave up waiting for {what}")


async def test_offset_confirms_updates(server: Server, bot: telegram.Bot) -> None:
    world = server.world
    alice = server.started_user()
    chat = world.private_chat(server.bot, alice)
    world.user_sends(alice, chat, text="ett")
    world.user_sends(alice, chat, text="två")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [1, 2, 3]
    assert [u.message.text for u in updates] == ["/start", "ett", "två"]
    # Without a higher offset nothing is confirmed.
    assert [u.update_id for u in await bot.get_updates()] == [1, 2, 3]
    assert [u.update_id for u in await bot.get_updates(offset=3)] == [3]
    assert [u.update_id for u in await bot.get_updates(limit=1)] == [3]
    assert await bot.get_updates(offset=4) == ()
    assert (await bot.get_webhook_info()).pending_update_count == 0
    world.user_sends(alice, chat, text="tre")
    # The update ids keep growing after confirmation.
    assert [u.update_id for u in await bot.get_updates()] == [4]


async def test_negative_offset_keeps_the_last_updates(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    for text in ("a", "b", "c"):
        server.world.user_sends(alice, server.world.private_chat(server.bot, alice), text=text)
    assert [u.message.text for u in await bot.get_updates(offset=-2)] == ["b", "c"]
    assert len(await bot.get_updates()) == 2


async def test_long_poll_wakes_on_a_new_update(server: Server, bot: telegram.Bot) -> None:
    alice = server.world.add_user("Alice")
    poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await until(lambda: server.bot.poller is not None, "the long poll to arrive")
    assert not poll.done()
    server.world.user_sends(alice, server.world.private_chat(server.bot, alice), text="hej")
    async with asyncio.timeout(FAILSAFE):
        updates = await poll
    assert [u.message.text for u in updates] == ["hej"]


async def test_second_poller_terminates_the_first(server: Server, bot: telegram.Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await until(lambda: server.bot.poller is not None, "the first long poll")
    poller = server.bot.poller
    # A second instance of the bot, as when two copies run by mistake.
    other = server.ptb()
    await other.initialize()
    second = asyncio.create_task(other.get_updates(timeout=30, read_timeout=40))
    await until(lambda: server.bot.poller not in (None, poller), "the second long poll")
    with pytest.raises(Conflict) as raised:
        async with asyncio.timeout(FAILSAFE):
            await first
    assert raised.value.message == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )
    assert not second.done()
    alice = server.world.add_user("Alice")
    server.world.user_sends(alice, server.world.private_chat(server.bot, alice), text="hej")
    async with asyncio.timeout(FAILSAFE):
        assert [u.message.text for u in await second] == ["hej"]
    await other.shutdown()


async def test_get_updates_conflicts_with_a_webhook(server: Server, bot: telegram.Bot) -> None:
    assert await bot.set_webhook(f"http://127.0.0.1:{closed_port()}/hook")
    with pytest.raises(Conflict) as raised:
        await bot.get_updates()
    assert raised.value.message == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_allowed_updates_filter_what_is_queued(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    await bot.get_updates(offset=2, allowed_updates=["callback_query"])
    server.world.user_sends(alice, server.world.private_chat(server.bot, alice), text="hej")
    assert await bot.get_updates() == ()


async def test_block_sends_my_chat_member(server: Server, bot: telegram.Bot) -> None:
    alice = server.started_user()
    server.world.block(alice, server.bot)
    update = (await bot.get_updates(offset=2))[0]
    member = update.my_chat_member
    assert (member.chat.id, member.from_user.id) == (alice.id, alice.id)
    assert (member.old_chat_member.status, member.new_chat_member.status) == ("member", "kicked")


async def test_set_webhook_validation(bot: telegram.Bot) -> None:
    for secret, message in [("has space", "Secret token contains unallowed characters"),
                            ("ä", "Secret token contains unallowed characters"),
                            ("a" * 257, "Secret token is too long")]:
        with pytest.raises(BadRequest) as raised:
            await bot.set_webhook("https://example.org/hook", secret_token=secret)
        assert raised.value.message == message
    with pytest.raises(BadRequest, match="Bad webhook"):
        await bot.set_webhook("not a url")
    assert await bot.set_webhook("https://example.org/hook", secret_token="A-z_09" * 40,
                                 max_connections=500)
    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections) == ("https://example.org/hook", 100)


@dataclass
class Receiver:
    """A webhook endpoint that records every delivery and answers as told."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give first, then 200
    hold: dict[str, asyncio.Event] = field(default_factory=dict)  # text -> release

    def texts(self) -> list[str]:
        return [u.get("message", {}).get("text", "") for u in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        state.received.append(update)
        state.headers.append(dict(request.headers))
        text = update.get("message", {}).get("text", "")
        if text in state.hold:
            await state.hold[text].wait()
        status = state.statuses.pop(0) if state.statuses else 200
        return web.Response(status=status, text=json.dumps({}))

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    state.url = f"http://{host}:{port}/hook"
    try:
        yield state
    finally:
        for event in state.hold.values():
            event.set()
        await runner.cleanup()


async def test_webhook_delivery_with_secret(server: Server, bot: telegram.Bot,
                                            receiver: Receiver) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t_-")
    alice = server.started_user()
    await until(lambda: len(receiver.received) == 1, "the delivery")
    assert receiver.received[0]["message"]["text"] == "/start"
    assert receiver.received[0]["update_id"] == 1
    assert receiver.headers[0]["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t_-"
    assert receiver.headers[0]["Content-Type"].startswith("application/json")
    await until(lambda: not server.bot.updates, "the update to be confirmed")
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.last_error_message) == (
        receiver.url, 0, None)
    assert alice.id == receiver.received[0]["message"]["from"]["id"]


async def test_webhook_retries_until_2xx(server: Server, bot: telegram.Bot,
                                         receiver: Receiver) -> None:
    receiver.statuses = [500, 502]
    assert await bot.set_webhook(receiver.url)
    server.started_user()
    await until(lambda: len(receiver.received) == 3, "two failures and a success")
    assert [u["update_id"] for u in receiver.received] == [1, 1, 1]
    await until(lambda: not server.bot.updates, "the update to be confirmed")
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert info.last_error_date is not None


def closed_port() -> int:
    """A local port nothing listens on (just released by the OS)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_keeps_updates_pending_while_unreachable(server: Server,
                                                               bot: telegram.Bot) -> None:
    assert await bot.set_webhook(f"http://127.0.0.1:{closed_port()}/nobody-listens")
    server.started_user()
    await until(lambda: server.bot.webhook.last_error_message is not None, "a failed attempt")
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Connection refused"
    # Switching back to polling hands the kept update over.
    assert await bot.delete_webhook()
    assert [u.message.text for u in await bot.get_updates()] == ["/start"]


async def test_webhook_keeps_per_chat_order(server: Server, bot: telegram.Bot,
                                            receiver: Receiver) -> None:
    world = server.world
    alice, bob = world.add_user("Alice"), world.add_user("Bob")
    receiver.hold["alice 1"] = asyncio.Event()
    assert await bot.set_webhook(receiver.url)
    world.user_sends(alice, world.private_chat(server.bot, alice), text="alice 1")
    world.user_sends(alice, world.private_chat(server.bot, alice), text="alice 2")
    world.user_sends(bob, world.private_chat(server.bot, bob), text="bob 1")
    # Bob's chat is not held up by Alice's unanswered update...
    await until(lambda: "bob 1" in receiver.texts(), "Bob's update")
    # ...but Alice's second update waits until her first one got its 2xx.
    assert "alice 2" not in receiver.texts()
    assert receiver.texts()[0] == "alice 1"
    receiver.hold["alice 1"].set()
    await until(lambda: "alice 2" in receiver.texts(), "Alice's second update")
    assert receiver.texts().index("alice 1") < receiver.texts().index("alice 2")
    await until(lambda: not server.bot.updates, "all updates confirmed")


async def test_drop_pending_updates(server: Server, bot: telegram.Bot) -> None:
    server.started_user()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()
