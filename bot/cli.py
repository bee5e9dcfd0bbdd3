"""The ``nara`` command line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import click

from bot.settings import ConfigError, Settings, exit_on_config_error, load_settings
from storage.models import STAFF_ROLES

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


@click.group(
    cls=Commands,
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 120},
)
@click.version_option(package_name="nara")
def main() -> None:
    """Nära: the municipality's social services, near you on Telegram."""


# Commands are registered below, one line each, grouped by the module that defines them.


@main.command()
def run() -> None:
    """Run the bot against the configured Bot API."""
    from bot.runtime import run_bot

    settings = settings_or_exit()
    try:
        settings.token  # noqa: B018 - fail now, with one line, when it is missing
    except ConfigError as error:
        exit_on_config_error(error)
    run_bot(data_files_or_exit(settings))


@main.command()
def sandbox() -> None:
    """Run the bot on a built-in local Telegram, with a browser chat (no token, no internet)."""
    from bot.sandbox import SETTINGS_OVERRIDES, run_sandbox

    settings = data_files_or_exit(settings_or_exit(**SETTINGS_OVERRIDES))
    raise SystemExit(run_sandbox(settings))


@main.group()
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


@main.group()
def staff() -> None:
    """Register and remove the staff who answer residents."""


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


@staff.command("add")
@click.option("--telegram-id", type=int, required=True, help="Their numeric Telegram user id.")
@click.option("--name", required=True, help="The name residents will see, e.g. 'Sara'.")
@click.option(
    "--role",
    type=click.Choice(STAFF_ROLES),
    default="caseworker",
    show_default=True,
    help="caseworker: answers cases; supervisor: also oversees; admin: also manages staff.",
)
def staff_add(telegram_id: int, name: str, role: str) -> None:
    """Register a staff member (or update one)."""
    from storage import queries

    name = name.strip()
    if not name or len(name) > 200:
        raise click.BadParameter("must be 1-200 characters", param_hint="--name")

    async def add(session: AsyncSession) -> None:
        await queries.add_staff_member(
            session, telegram_user_id=telegram_id, name=name, role=role, now=datetime.now(UTC)
        )

    run_in_transaction(add)
    click.echo(f"{name} ({role}, Telegram id {telegram_id}) can now work in Nära")


@staff.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Also show removed staff.")
def staff_list(include_removed: bool) -> None:
    """List staff members."""
    from storage import queries

    async def listing(session: AsyncSession) -> list[tuple[int, str, str, str]]:
        members = await queries.list_staff(session, include_removed=include_removed)
        return [
            (m.telegram_user_id, m.name, m.role, "removed" if m.removed_at else "active")
            for m in members
        ]

    rows = run_in_transaction(listing)
    if not rows:
        click.echo("no staff registered yet: add one with `nara staff add`")
        return
    click.echo(f"{'telegram id':>14}  {'role':<11} {'status':<8} name")
    for telegram_id, name, role, status in rows:
        click.echo(f"{telegram_id:>14}  {role:<11} {status:<8} {name}")


@staff.command("remove")
@click.option("--telegram-id", type=int, required=True, help="Their numeric Telegram user id.")
def staff_remove(telegram_id: int) -> None:
    """Take away a staff member's access (their actions stay in the audit log)."""
    from storage import casework, queries

    async def remove(session: AsyncSession) -> list[int] | None:
        now = datetime.now(UTC)
        member = await queries.active_staff_member(session, telegram_id)
        if member is None or not await queries.remove_staff_member(session, telegram_id, now):
            return None
        # Their cases go back to the staff group at once, so none waits on them.
        return await casework.release_cases_of(session, member.id, now)

    released = run_in_transaction(remove)
    if released is None:
        click.echo(f"no active staff member has Telegram id {telegram_id}", err=True)
        raise SystemExit(1)
    click.echo(f"Telegram id {telegram_id} no longer has staff access")
    if released:
        cases = ", ".join(f"#{case_id}" for case_id in released)
        click.echo(f"their cases {cases} are open again and go back to the staff group now")


from bot.cli_search import catalogue_group, search_command  # noqa: E402 - after main exists

main.add_command(search_command)
main.add_command(catalogue_group)
from bot.cli_triage import triage_command  # noqa: E402 - after main exists

main.add_command(triage_command)
from bot.cli_reports import report_group  # noqa: E402 - after main exists

main.add_command(report_group)
