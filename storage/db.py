"""One engine and one session factory per database, and the migrations that shape it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).parent / "migrations"


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; FULL syncs every commit, so a committed
    # update survives a power cut, not only a killed process.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """Return an async engine for ``url``, with SQLite tuned for a single writing process."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # SQLite has one writer at a time; one pooled connection makes our tasks queue in
    # the pool instead of sleeping in SQLite's busy handler.
    engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=120)
    event.listen(engine.sync_engine, "connect", _tune_sqlite)
    return engine


class Database:
    """The engine, its session factory and the schema migrations for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """The SQL dialect's name: ``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        """Return a new session; use it as ``async with db.session() as s, s.begin():``."""
        return self.sessions()

    async def upgrade(self) -> None:
        """Apply every migration not yet applied."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def revision(self) -> str | None:
        """Return the schema's current migration id, or None before the first migration."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_revision)

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    """Return Alembic's configuration, pointing at our migrations (and a live connection)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
