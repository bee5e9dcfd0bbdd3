"""Fixtures: a real tgserver on a free port, driven by the real PTB ``Bot`` and the client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import telegram
from aiohttp import web

from tgserver.botapi import create_app
from tgserver.client import SandboxClient
from tgserver.world import Bot, User, World

TOKEN = "123456:TEST-token_for_the_sandbox"
BOT_USERNAME = "nara_test_bot"


class FakeClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Server:
    world: World
    url: str

    @property
    def bot(self) -> Bot:
        return self.world.find_bot()

    def ptb(self, token: str = TOKEN) -> telegram.Bot:
        return telegram.Bot(token, base_url=f"{self.url}/bot",
                            base_file_url=f"{self.url}/file/bot")

    def started_user(self, first_name: str = "Alice", **kwargs: Any) -> User:
        """A person who has opened the private chat with the bot (so it may write to them)."""
        user = self.world.add_user(first_name, **kwargs)
        self.world.user_sends(user, self.world.private_chat(self.bot, user), text="/start")
        return user


@contextlib.asynccontextmanager
async def running_server(world: World | None = None, **options: Any) -> AsyncIterator[Server]:
    """Serve a world on a free port for the duration of the block."""
    world = world or World(webhook_retry_start=0.01, webhook_retry_cap=0.05)
    app = create_app(world, tokens=[TOKEN], bot_name="Nära", bot_username=BOT_USERNAME,
                     **options)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Server(world, f"http://{host}:{port}")
    finally:
        await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with running_server() as served:
        yield served


@pytest.fixture
async def bot(server: Server) -> AsyncIterator[telegram.Bot]:
    async with server.ptb() as ptb_bot:
        yield ptb_bot


@pytest.fixture
async def tg(server: Server) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(server.url, timeout=10.0) as client:
        yield client


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make PTB report time periods as timedelta (its future default) instead of warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
