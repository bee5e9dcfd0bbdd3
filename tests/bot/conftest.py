"""Fixtures for end-to-end tests: a local Telegram, a running Nära, and people to play."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.runtime import Nara
from tests.bot.harness import (
    LocalTelegram,
    bot_settings,
    local_telegram,
    running_bot,
    sandbox_client,
)
from tgserver import SandboxClient


@pytest.fixture
async def telegram() -> AsyncIterator[LocalTelegram]:
    async with local_telegram() as server:
        yield server


@pytest.fixture
async def tg(telegram: LocalTelegram) -> AsyncIterator[SandboxClient]:
    async with sandbox_client(telegram) as client:
        yield client


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/nara.db"


@pytest.fixture
async def nara(telegram: LocalTelegram, sqlite_url: str) -> AsyncIterator[Nara]:
    async with running_bot(bot_settings(telegram.url, sqlite_url)) as bot:
        yield bot
