"""One update's handling: its transaction, the resident, and the calls it owes Telegram."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import current_locale
from bot.core.render import send_message_params
from bot.core.settings import Settings
from bot.core.usage import UsageTally
from flows.catalogue import Catalogue
from flows.helplines import Helplines
from flows.replies import Reply
from flows.triage.lexicon import Lexicon
from storage import queries
from storage.models import OutboxMessage, Resident, StaffMember


@dataclass
class Turn:
    """What a handler may use, and what it decided. Everything commits together or not at all."""

    session: AsyncSession
    settings: Settings
    update_id: int
    received_at: datetime
    now: datetime
    resident: Resident | None = None
    new_resident: bool = False
    failure: BaseException | None = None
    # Residents looked up for a whole batch of updates at once (see bot/app/pipeline.py).
    known_residents: dict[int, Resident | None] | None = None
    outgoing: list[OutboxMessage] = field(default_factory=list)
    catalogue: Catalogue | None = None
    helplines: Helplines | None = None
    # The triage vocabulary (None: the shipped one).
    lexicon: Lexicon | None = None
    usage: UsageTally | None = None
    # The sender, when they are active staff (looked up in the database for every update).
    staff: StaffMember | None = None
    known_staff: dict[int, StaffMember | None] | None = None

    @property
    def numbers(self) -> Helplines:
        """The helplines shown with urgent replies."""
        if self.helplines is None:
            raise RuntimeError("no helplines loaded")
        return self.helplines

    @property
    def services(self) -> Catalogue:
        """The support catalogue this bot answers from."""
        if self.catalogue is None:
            raise RuntimeError("no catalogue loaded")
        return self.catalogue

    @property
    def week(self) -> date:
        """Monday of this week, in the municipality's time zone (for weekly counts)."""
        local = self.now.astimezone(self.settings.zone).date()
        return local - timedelta(days=local.weekday())

    @property
    def locale(self) -> str:
        """The locale replies are written in during this update."""
        return current_locale.get()

    def say(
        self,
        chat_id: int,
        reply: Reply,
        *,
        locale: str | None = None,
        purpose: dict[str, Any] | None = None,
        reply_to: int | None = None,
    ) -> None:
        """Queue ``reply`` for ``chat_id``, in the update's locale unless one is given."""
        for params in send_message_params(reply, chat_id, locale or self.locale):
            if reply_to is not None:
                params["reply_parameters"] = {
                    "message_id": reply_to,
                    "allow_sending_without_reply": True,
                }
            self.call(chat_id, "sendMessage", params, purpose=purpose)

    def call(
        self,
        chat_id: int,
        method: str,
        params: dict[str, Any],
        *,
        purpose: dict[str, Any] | None = None,
    ) -> None:
        """Queue any Bot API call; calls for one chat are delivered in the order queued."""
        self.outgoing.append(
            queries.add_outgoing(
                self.session,
                chat_id=chat_id,
                method=method,
                params=params,
                now=self.now,
                caused_at=self.received_at,
                purpose=purpose,
            )
        )


_current: ContextVar[Turn] = ContextVar("nara_turn")


@contextmanager
def handling(turn: Turn) -> Iterator[Turn]:
    """Make ``turn`` the current one (and the default locale current) while an update runs."""
    turn_token = _current.set(turn)
    locale_token = current_locale.set(current_locale.get())
    try:
        yield turn
    finally:
        current_locale.reset(locale_token)
        _current.reset(turn_token)


def current_turn() -> Turn:
    """Return the turn of the update being handled."""
    return _current.get()
