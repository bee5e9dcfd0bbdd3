"""``nara staff``: register and remove the staff who answer residents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from bot.cli.common import run_in_transaction
from storage.models import STAFF_ROLES

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.group()
def staff() -> None:
    """Register and remove the staff who answer residents."""


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
