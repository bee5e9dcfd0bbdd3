"""What every ``nara`` command shares: settings that fail with one line, one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from bot.core.settings import ConfigError, Settings, exit_on_config_error, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def settings_or_exit(**overrides: object) -> Settings:
    """Return the configuration, or stop with one line naming the bad variable (exit code 2)."""
    try:
        return load_settings(**overrides)
    except ConfigError as error:
        exit_on_config_error(error)


def data_files_or_exit(settings: Settings) -> Settings:
    """Check the catalogue, helplines and triage vocabulary now: one line, exit 2, if wrong."""
    try:
        settings.services()
        settings.numbers()
        settings.vocabulary()
    except ConfigError as error:
        exit_on_config_error(error)
    return settings


class Commands(click.Group):
    """A group whose help lists every command, sub-commands included, one line each."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write one line per runnable command, e.g. ``staff add``."""
        rows: list[tuple[str, str]] = []

        def collect(group: click.Group, prefix: str) -> None:
            for name in group.list_commands(ctx):
                command = group.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                if isinstance(command, click.Group):
                    collect(command, f"{prefix}{name} ")
                else:
                    rows.append((prefix + name, command.get_short_help_str(limit=90)))

        collect(self, "")
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def run_in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction on the configured (migrated) database."""
    import asyncio

    from storage.db import Database

    settings = settings_or_exit()

    async def run_it() -> T:
        database = Database(settings.database)
        try:
            await database.upgrade()
            async with database.session() as session, session.begin():
                return await work(session)
        finally:
            await database.close()

    return asyncio.run(run_it())
