"""Deleting what the chat has saved about a resident, when they ask (/forget).

The bot's own conversational data can be erased on request. Case records are the
municipality's: the law says they must be kept, so a resident with a case is told so.
"""

from __future__ import annotations

from typing import Final

from flows.replies import N_, Button, Reply, Text

FORGET_BUTTON: Final = "forget"
YES: Final = f"{FORGET_BUTTON}:yes"
NO: Final = f"{FORGET_BUTTON}:no"


def ask(*, has_calls: bool = False) -> Reply:
    """Say what would be deleted and what must stay, then ask once.

    ``has_calls``: the resident has booked calls to come; they would be cancelled.
    """
    calls = (Text.of(N_("Your booked calls are cancelled too.")),) if has_calls else ()
    return Reply.of(
        Text.of(N_("I can delete what this chat has saved about you.")),
        Text.of(N_("That is your recent messages and your choices here.")),
        *calls,
        Text.of(N_("If you have a case with social services, they must keep its records by law.")),
        Text.of(N_("Do you want me to delete it?")),
        buttons=((Button(Text.of(N_("Yes, delete")), YES), Button(Text.of(N_("No")), NO)),),
    )


def answer(data: str) -> bool | None:
    """Return True for "delete", False for "keep", None for any other (old or forged) data."""
    return {YES: True, NO: False}.get(data)


def done(*, case_kept: bool, calls_cancelled: bool = False) -> Reply:
    """Confirm the deletion, and say what stays (a case's records) and how to begin again.

    ``calls_cancelled``: booked calls were cancelled and deleted with the rest.
    """
    calls = (Text.of(N_("Your booked calls are cancelled.")),) if calls_cancelled else ()
    if case_kept:
        return Reply.of(
            Text.of(N_("Done. I have deleted what this chat saved about you.")),
            *calls,
            Text.of(N_("Social services keep the records of your case.")),
            Text.of(N_("A person can still write to you here about your case.")),
        )
    return Reply.of(
        Text.of(N_("Done. I have deleted what this chat saved about you.")),
        *calls,
        Text.of(N_("If you write again, I start from the beginning.")),
    )


def kept() -> Reply:
    """Confirm that nothing was deleted."""
    return Reply.of(Text.of(N_("Okay. I have not deleted anything.")))
