"""Shared fixtures: real databases (SQLite and PostgreSQL) with the schema built by migrations."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from storage.db import Database
from tests.postgres import PostgresServer, PostgresUnavailable

_names = itertools.count()

# Screenshots and other files the tests leave for people to look at (test-artifacts/).
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the screenshots this run made (the RTL safety replies, the sandbox demos)."""
    made = sorted(
        path for path in ARTIFACTS.glob("*") if path.is_file() and path.stat().st_mtime >= _STARTED
    )
    if made:
        terminalreporter.section("files for people to look at")
        for path in made:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start one PostgreSQL server for the whole test run."""
    try:
        server = PostgresServer()
    except PostgresUnavailable as missing:
        if os.environ.get("NARA_TEST_SKIP_POSTGRES") == "1":
            pytest.skip(str(missing))
        pytest.fail(str(missing), pytrace=False)
    server.start()
    yield server
    server.stop()


async def fresh_database_url(kind: str, request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Return the URL of a new, empty database of ``kind`` (``sqlite`` or ``postgresql``)."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/nara.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"nara_test_{os.getpid()}_{next(_names)}"
    connection = await asyncpg.connect(server.dsn())
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
async def database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: object) -> str:
    """A new, empty database (before migrations)."""
    return await fresh_database_url(database_kind, request, tmp_path)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A new database of each kind with every migration applied."""
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.close()
