"""``nara staff``: register and remove the staff who answer residents; invites and handovers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from bot.cli.common import run_in_transaction, settings_or_exit
from bot.core.settings import ConfigError, Settings, exit_on_config_error
from flows.calls.contact import invite_link
from storage.models import STAFF_ROLES

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from flows.calls.availability import TimeRange
    from storage.models import StaffDay, StaffHours


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
    from bot.calls import contact
    from storage import casework, queries

    async def remove(session: AsyncSession) -> tuple[list[int], int] | None:
        now = datetime.now(UTC)
        member = await queries.active_staff_member(session, telegram_id)
        if member is None or not await queries.remove_staff_member(session, telegram_id, now):
            return None
        # Their cases go back to the staff group at once, so none waits on them; their
        # residents are told (through the outbox, in this transaction) and go to reception.
        residents = await contact.release_residents(session, member, now)
        return await casework.release_cases_of(session, member.id, now), residents

    outcome = run_in_transaction(remove)
    if outcome is None:
        click.echo(f"no active staff member has Telegram id {telegram_id}", err=True)
        raise SystemExit(1)
    released, residents = outcome
    click.echo(f"Telegram id {telegram_id} no longer has staff access")
    if released:
        cases = ", ".join(f"#{case_id}" for case_id in released)
        click.echo(f"their cases {cases} are open again and go back to the staff group now")
    if residents:
        click.echo(
            f"{residents} residents had them as their contact: each is told, "
            "and the reception team answers them now"
        )


@staff.command("invite")
@click.option("--telegram-id", type=int, required=True, help="The staff member's Telegram id.")
def staff_invite(telegram_id: int) -> None:
    """Print a one-time link (7 days) that makes them a resident's contact person."""
    from storage import casework, contacts, queries

    settings = settings_or_exit()
    username = _bot_username(settings)

    async def invite(session: AsyncSession) -> str | None:
        now = datetime.now(UTC)
        member = await queries.active_staff_member(session, telegram_id)
        if member is None:
            return None
        code = await contacts.create_invite(session, member.id, now)
        await casework.audit(session, staff_id=member.id, action="invite", case_id=None, now=now)
        return code

    code = run_in_transaction(invite)
    if code is None:
        click.echo(f"no active staff member has Telegram id {telegram_id}", err=True)
        raise SystemExit(1)
    click.echo(invite_link(username, code))


def _bot_username(settings: Settings) -> str:
    """Ask the Bot API who the bot is (getMe): the username goes into every invite link."""
    import asyncio

    from telegram import Bot
    from telegram.error import TelegramError

    try:
        token = settings.token
    except ConfigError as error:
        exit_on_config_error(error)

    async def ask() -> str:
        bot = Bot(token, base_url=f"{settings.telegram_api_url}/bot")
        async with bot:
            return bot.username

    try:
        return asyncio.run(ask())
    except TelegramError as error:
        # The type only: a message could carry the URL, and the URL carries the token.
        click.echo(
            f"could not ask the Bot API for the bot's username ({type(error).__name__})", err=True
        )
        raise SystemExit(1) from None


@staff.command("handover")
@click.option("--from", "giver_id", type=int, required=True, help="Telegram id of the contact now.")
@click.option("--to", "taker_id", type=int, required=True, help="Telegram id of the new contact.")
@click.option("--chat-id", type=int, help="Only the resident in this chat (default: all of them).")
def staff_handover(giver_id: int, taker_id: int, chat_id: int | None) -> None:
    """Hand a staff member's residents (or one) over to a colleague; each resident is told."""
    from bot.calls import contact
    from storage import contacts, queries

    settings = settings_or_exit()

    async def hand_over(session: AsyncSession) -> tuple[str, str, int] | str:
        now = datetime.now(UTC)
        giver = await contacts.staff_by_user(session, giver_id)
        taker = await queries.active_staff_member(session, taker_id)
        if giver is None:
            return f"no staff member has Telegram id {giver_id}"
        if taker is None:
            return f"no active staff member has Telegram id {taker_id}"
        moved = await contact.hand_over_residents(
            session,
            giver=giver,
            taker=taker,
            now=now,
            staff_locale=settings.staff_locale,
            chat_id=chat_id,
        )
        return giver.name, taker.name, moved

    outcome = run_in_transaction(hand_over)
    if isinstance(outcome, str):
        click.echo(outcome, err=True)
        raise SystemExit(1)
    giver_name, taker_name, moved = outcome
    if chat_id is not None and not moved:
        click.echo(f"{giver_name} is not the contact of the resident in chat {chat_id}", err=True)
        raise SystemExit(1)
    click.echo(f"{moved} residents handed over from {giver_name} to {taker_name}; each is told")


@staff.command("hours")
@click.option("--telegram-id", type=int, required=True, help="The staff member's Telegram id.")
@click.option(
    "--weekly",
    help='Weekly hours, e.g. "mon-fri 09:00-12:00,13:00-16:00; sat 10:00-12:00" ("" for none).',
)
@click.option("--meeting-minutes", type=int, help="How long a call is (default 30).")
@click.option("--buffer-minutes", type=int, help="The least time between calls (default 10).")
@click.option("--notice-minutes", type=int, help="How far ahead a call must be booked (120).")
@click.option("--window-days", type=int, help="How many days ahead calls can be booked (14).")
@click.option(
    "--day-off", "days_off", multiple=True, metavar="DATE", help="A day off (repeatable)."
)
@click.option(
    "--sick",
    "sick_days",
    multiple=True,
    metavar="DATE",
    help="A sick day: its calls are cancelled.",
)
@click.option(
    "--open",
    "open_days",
    nargs=2,
    multiple=True,
    metavar="DATE HOURS",
    help='A day with its own hours, e.g. a holiday: --open 2026-12-24 "10:00-14:00".',
)
@click.option("--usual", "usual_days", multiple=True, metavar="DATE", help="A day back to normal.")
@click.option("--show", is_flag=True, help="Only show the hours.")
def staff_hours(
    telegram_id: int,
    weekly: str | None,
    meeting_minutes: int | None,
    buffer_minutes: int | None,
    notice_minutes: int | None,
    window_days: int | None,
    days_off: tuple[str, ...],
    sick_days: tuple[str, ...],
    open_days: tuple[tuple[str, str], ...],
    usual_days: tuple[str, ...],
    show: bool,
) -> None:
    """Set when a staff member takes booked calls: weekly hours, call length, days off."""
    from bot.calls.hours import record_sick_day
    from bot.core.turn import Turn
    from flows.calls import staff_hours as rules
    from flows.calls.availability import HoursError, WeeklyHours, format_ranges, parse_ranges
    from storage import hours, queries

    def read_date(text: str, option: str) -> date:
        try:
            return rules.read_date(text)
        except rules.DateError as error:
            raise click.BadParameter(str(error), param_hint=option) from None

    try:
        new_weekly = WeeklyHours.parse(weekly) if weekly is not None else None
    except HoursError as error:
        raise click.BadParameter(str(error), param_hint="--weekly") from None
    if new_weekly is not None and len(new_weekly.format()) > rules.WEEKLY_LENGTH:
        raise click.BadParameter("more time spans than can be kept", param_hint="--weekly")
    given = {
        "meeting_minutes": meeting_minutes,
        "buffer_minutes": buffer_minutes,
        "notice_minutes": notice_minutes,
        "window_days": window_days,
    }
    for name, value in given.items():
        problem = rules.rule_problem(name, value) if value is not None else None
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--" + name.replace("_", "-"))
    days: list[tuple[date, hours.DayKind, tuple[TimeRange, ...]]] = [
        (read_date(text, "--day-off"), "off", ()) for text in days_off
    ]
    days += [(read_date(text, "--sick"), "sick", ()) for text in sick_days]
    for day_text, hours_text in open_days:
        day = read_date(day_text, "--open")
        try:
            ranges = parse_ranges(hours_text)
        except HoursError as error:
            raise click.BadParameter(str(error), param_hint="--open") from None
        if len(format_ranges(ranges)) > rules.DAY_LENGTH:
            raise click.BadParameter("more time spans than can be kept", param_hint="--open")
        days.append((day, "open", ranges))
    back = [read_date(text, "--usual") for text in usual_days]
    changes = new_weekly is not None or any(v is not None for v in given.values()) or days or back
    if not changes and not show:
        raise click.UsageError("nothing to set: give --weekly, minutes, days, or --show")
    settings = settings_or_exit()

    async def set_hours(session: AsyncSession) -> str | None:
        now = datetime.now(UTC)
        member = await queries.active_staff_member(session, telegram_id)
        if member is None:
            return None
        if new_weekly is not None or any(v is not None for v in given.values()):
            await hours.set_hours(session, member.id, now=now, weekly=new_weekly, **given)
        # A sick day cancels its calls as in the bot: each resident's message waits in the
        # outbox, committed with the day, and the running bot sends it.
        turn = Turn(session=session, settings=settings, update_id=0, received_at=now, now=now)
        cancelled = 0
        for day, kind, ranges in days:
            if kind == "sick":
                cancelled += await record_sick_day(turn, member, day)
            else:
                await hours.set_day(session, member.id, day, kind, ranges)
        for day in back:
            await hours.clear_day(session, member.id, day)
        today = now.astimezone(settings.zone).date()
        stored = await hours.hours_of(session, member.id)
        coming = await hours.days_of(session, member.id, since=today)
        line = _hours_line(member.name, telegram_id, stored, coming)
        if sick_days:
            line += f"; calls cancelled on sick days: {cancelled} (each resident is told)"
        return line

    line = run_in_transaction(set_hours)
    if line is None:
        click.echo(f"no active staff member has Telegram id {telegram_id}", err=True)
        raise SystemExit(1)
    click.echo(line)


def _hours_line(
    name: str, telegram_id: int, stored: StaffHours | None, coming: Sequence[StaffDay]
) -> str:
    """One line: weekly hours, the rules, and the coming days that differ."""
    if stored is None or not stored.weekly:
        weekly = "no weekly hours (no one can book a call with them)"
    else:
        weekly = stored.weekly
    line = f"{name} (Telegram id {telegram_id}): {weekly}"
    if stored is not None:
        line += (
            f"; calls {stored.meeting_minutes} min, {stored.buffer_minutes} min between,"
            f" booked {stored.notice_minutes} min to {stored.window_days} days ahead"
        )
    if coming:
        shown = ", ".join(
            f"{d.day.isoformat()} {d.kind}{' ' + d.hours if d.hours else ''}" for d in coming
        )
        line += f"; days: {shown}"
    return line
