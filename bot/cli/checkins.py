"""``nara checkins``: offer a resident follow-up check-ins from a shell."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from bot.cli.common import run_in_transaction, settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

_WHY_NOT = {
    "unknown-resident": "no resident has chat id {chat_id} (they must have written to the bot)",
    "unknown-plan": "there is no plan {plan!r} (see catalogue/checkins.yaml: {plans})",
    "blocked": "the resident has blocked the bot",
    "has-plan": "the resident already has a plan offered, running or paused",
}


@click.group("checkins")
def checkins_group() -> None:
    """Follow-up check-ins (plans in catalogue/checkins.yaml)."""


@checkins_group.command("offer")
@click.option("--chat-id", type=int, required=True, help="The resident's Telegram chat id.")
@click.option("--plan", "plan_name", required=True, help="A plan's name, e.g. after-support.")
def checkins_offer(chat_id: int, plan_name: str) -> None:
    """Send the resident a plain offer; check-ins start only if they say yes.

    Prints one line: "offered: ..." (exit 0), or "not offered: why" (exit 1).
    """
    from bot.calls import checkins
    from storage.models import Resident

    settings = settings_or_exit()
    plans = settings.checkin_plans()

    async def offer(session: AsyncSession) -> str | None:
        from sqlalchemy import select

        resident = await session.scalar(select(Resident).where(Resident.chat_id == chat_id))
        if resident is None:
            return "unknown-resident"
        return await checkins.offer(
            session, settings, resident, plan_name, staff=None, now=datetime.now(UTC)
        )

    why = run_in_transaction(offer)
    if why is not None:
        reason = _WHY_NOT[why].format(chat_id=chat_id, plan=plan_name, plans=", ".join(plans.plans))
        click.echo(f"not offered: {reason}")
        raise SystemExit(1)
    click.echo(
        f"offered: {plan_name} to chat {chat_id} (they are asked first; "
        "nothing is sent unless they say yes)"
    )
