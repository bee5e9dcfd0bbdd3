"""``nara run``, ``nara sandbox`` and ``nara db``: running the bot and its database."""

from __future__ import annotations

import click

from bot.cli.common import data_files_or_exit, settings_or_exit
from bot.core.settings import ConfigError, exit_on_config_error


@click.command()
def run() -> None:
    """Run the bot against the configured Bot API."""
    from bot.app.runtime import run_bot

    settings = settings_or_exit()
    try:
        settings.token  # noqa: B018 - fail now, with one line, when it is missing
    except ConfigError as error:
        exit_on_config_error(error)
    run_bot(data_files_or_exit(settings))


@click.command()
def sandbox() -> None:
    """Run the bot on a built-in local Telegram, with a browser chat (no token, no internet)."""
    from bot.sandbox.server import SETTINGS_OVERRIDES, run_sandbox

    settings = data_files_or_exit(settings_or_exit(**SETTINGS_OVERRIDES))
    raise SystemExit(run_sandbox(settings))


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every database migration not yet applied."""
    import asyncio

    from storage.db import Database

    settings = settings_or_exit()

    async def upgrade() -> str | None:
        database = Database(settings.database)
        try:
            await database.upgrade()
            return await database.revision()
        finally:
            await database.close()

    revision = asyncio.run(upgrade())
    click.echo(f"database is at migration {revision}")
