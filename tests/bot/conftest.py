"""Fixtures for end-to-end tests: a local Telegram, a running Nära, and people to play."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app.runtime import Nara
from tests.bot.harness import (
    LocalTelegram,
    Office,
    bot_settings,
    local_telegram,
    register_staff,
    running_bot,
    sandbox_client,
)
from tests.conftest import fresh_database_url
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


@pytest.fixture
async def any_database_url(
    database_kind: str, request: pytest.FixtureRequest, tmp_path: object
) -> str:
    """A new database, once SQLite and once PostgreSQL (the test runs on each)."""
    return await fresh_database_url(database_kind, request, tmp_path)


@pytest.fixture
async def office(
    telegram: LocalTelegram, tg: SandboxClient, any_database_url: str
) -> AsyncIterator[Office]:
    """A running bot with a staff group, on SQLite and on PostgreSQL."""
    sara = await tg.add_user("Sara", language_code="sv")
    jonas = await tg.add_user("Jonas", language_code="sv")
    on_call = await tg.add_user("Jour", language_code="sv")
    group = await tg.add_group("Socialtjänsten – ärenden", [sara, jonas])
    settings = bot_settings(
        telegram.url,
        any_database_url,
        staff_chat_id=group.id,
        escalation_minutes=0.03,
        on_call_chat_ids=str(on_call.id),
    )
    async with running_bot(settings) as nara:
        await register_staff(nara, (sara, "Sara", "caseworker"), (jonas, "Jonas", "supervisor"))
        for person in (sara, jonas, on_call):
            await person.say("/start")
            await person.next_message()
        yield Office(nara, group, sara, jonas, on_call)
