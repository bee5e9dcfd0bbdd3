"""``nara bookings``: the calls booked from now on, for an operator or a script."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import run_in_transaction, settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.command("bookings")
@click.option(
    "--telegram-id",
    type=int,
    default=None,
    help="Only the calls of this staff member (or of this resident), by Telegram user id.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def bookings_command(telegram_id: int | None, as_json: bool) -> None:
    """List upcoming booked calls (those not yet over), soonest first."""
    from sqlalchemy import or_, select

    from storage.models import Booking, Resident, StaffMember

    zone = settings_or_exit().zone

    async def listing(session: AsyncSession) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        statement = (
            select(Booking, Resident.chat_id, StaffMember.telegram_user_id)
            .join(Resident, Resident.id == Booking.resident_id)
            .join(StaffMember, StaffMember.id == Booking.staff_id)
            .order_by(Booking.start_at, Booking.id)
        )
        if telegram_id is not None:
            statement = statement.where(
                or_(
                    StaffMember.telegram_user_id == telegram_id,
                    Resident.telegram_user_id == telegram_id,
                )
            )
        rows = []
        for call, chat_id, staff_telegram_id in await session.execute(statement):
            if call.start_at.timestamp() + call.minutes * 60 <= now.timestamp():
                continue
            rows.append(
                {
                    "id": call.id,
                    "resident_chat_id": chat_id,
                    "staff_telegram_id": staff_telegram_id,
                    "start": call.start_at.astimezone(zone).isoformat(),
                    "minutes": call.minutes,
                    "how": call.how,
                    "status": call.status,
                }
            )
        return rows

    for row in run_in_transaction(listing):
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(
                f"#{row['id']}  {row['start']}  {row['minutes']} min  {row['how']:<9}  "
                f"{row['status']:<9}  staff {row['staff_telegram_id']}  "
                f"resident chat {row['resident_chat_id']}"
            )
