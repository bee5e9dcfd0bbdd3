"""End-to-end harness: the real Nära (PTB over HTTP) against our Telegram-compatible server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app.runtime import Nara
from bot.core.settings import Settings, load_settings
from storage import queries
from tgserver import SandboxClient, World, create_app
from tgserver.botapi import BOT_API_STATE
from tgserver.client import SandboxGroup, SandboxUser

TOKEN = "7000000001:AAFnaraTestTokenForTheLocalServerOnly"


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalTelegram:
    """The Telegram-compatible server, its world and its URL."""

    world: World
    url: str
    runner: web.AppRunner

    def calls_in_progress(self) -> int:
        """Bot API calls (long polls aside) the server is answering right now."""
        return self.runner.app[BOT_API_STATE].calls_in_progress


@asynccontextmanager
async def local_telegram(**world_options: Any) -> AsyncIterator[LocalTelegram]:
    """Run the Telegram-compatible server on a free port."""
    world = World(webhook_retry_start=0.02, webhook_retry_cap=0.2, **world_options)
    app = create_app(world, tokens=[TOKEN], bot_name="Nära", bot_username="nara_test_bot")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield LocalTelegram(world, f"http://127.0.0.1:{port}", runner)
    finally:
        await runner.cleanup()


async def query(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Read rows straight from a bot's database (SQLite or PostgreSQL), as an operator would."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


def bot_settings(telegram_url: str, database_url: str, **overrides: Any) -> Settings:
    """Return settings for a bot talking to the local server, on a free port of its own."""
    values: dict[str, Any] = {
        "telegram_token": TOKEN,
        "telegram_api_url": telegram_url,
        "database_url": database_url,
        "http_host": "127.0.0.1",
        "http_port": free_port(),
        "rate_limit": False,
        "staff_chat_id": None,
    }
    values.update(overrides)
    return load_settings(**values)


class MovableClock:
    """The bot's clock in a test: real time plus however far the test has moved it."""

    def __init__(self) -> None:
        self.moved = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.moved

    def advance(self, delta: timedelta) -> None:
        """Move time forward, as if ``delta`` had passed."""
        self.moved += delta


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[Nara]:
    """Start Nära in this process (on ``clock`` when given) and stop it afterwards."""
    nara = Nara(settings, clock=clock) if clock is not None else Nara(settings)
    await nara.start()
    try:
        yield nara
    finally:
        await nara.stop()


@asynccontextmanager
async def sandbox_client(telegram: LocalTelegram) -> AsyncIterator[SandboxClient]:
    """A client that plays residents and staff on the local server."""
    async with SandboxClient(telegram.url, timeout=30.0) as client:
        yield client


@dataclass
class Office:
    """A running bot with a staff group of two registered staff members."""

    nara: Nara
    group: SandboxGroup
    sara: SandboxUser
    jonas: SandboxUser
    on_call: SandboxUser


async def register_staff(nara: Nara, *people: tuple[SandboxUser, str, str]) -> None:
    """Register each (user, name, role) as staff, as ``nara staff add`` does."""
    async with nara.db.session() as session, session.begin():
        for user, name, role in people:
            await queries.add_staff_member(
                session, telegram_user_id=user.id, name=name, role=role, now=datetime.now(UTC)
            )
