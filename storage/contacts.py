"""Named contacts: invites that link a resident to a staff member, handovers, leaving staff.

As in ``storage/casework.py``, every "exactly one wins" is decided by the database: an
invite is used by one conditional UPDATE that only matches an unused, unexpired invite
of a staff member still on staff, so two people opening the same link cannot both get
it; a handover only matches while the resident still has the contact the staff member
saw. Nothing here commits: the caller's transaction also holds the messages that tell
the resident, so a change and its message are kept or lost together.

The code in a link is never stored, only its SHA-256: a copy of the database cannot be
turned back into working links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import Exists, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BOOKING_WAYS, Invite, Resident, StaffMember

INVITE_LIFETIME: Final = timedelta(days=7)
# secrets.token_urlsafe(24): 32 characters of [A-Za-z0-9_-], 192 random bits.
CODE_BYTES: Final = 24
# Roles that may hand any resident over to a colleague (and hear "another contact").
SUPERVISING_ROLES: Final = ("supervisor", "admin")


def new_code() -> str:
    """Return a fresh, unguessable invite code (fits a Telegram deep link with room to spare)."""
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    """Return the SHA-256 (hex) of an invite code: what the database keeps instead of it."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _active_staff_ids() -> Select[int]:
    return select(StaffMember.id).where(StaffMember.removed_at.is_(None))


def _to_active(staff_id: int) -> Exists:
    return (
        select(StaffMember.id)
        .where(StaffMember.id == staff_id, StaffMember.removed_at.is_(None))
        .exists()
    )


# --- who is whose contact ----------------------------------------------------------------


async def contact_of(session: AsyncSession, resident_id: int) -> StaffMember | None:
    """Return the resident's named contact; None when the reception team answers them.

    None also when their contact was removed from staff (their residents are released
    then, but a reader between the two must not offer a person who has left).
    """
    result = await session.scalars(
        select(StaffMember)
        .join(Resident, Resident.contact_id == StaffMember.id)
        .where(Resident.id == resident_id, StaffMember.removed_at.is_(None))
    )
    return result.first()


async def residents_of(session: AsyncSession, staff_id: int) -> list[Resident]:
    """Return the residents whose named contact this staff member is, longest first."""
    result = await session.scalars(
        select(Resident)
        .where(Resident.contact_id == staff_id)
        .order_by(Resident.contact_since, Resident.id)
    )
    return list(result)


async def staff_by_user(session: AsyncSession, telegram_user_id: int) -> StaffMember | None:
    """Return the staff member with this Telegram id, removed or not."""
    result = await session.scalars(
        select(StaffMember).where(StaffMember.telegram_user_id == telegram_user_id)
    )
    return result.first()


async def supervisors(session: AsyncSession) -> list[StaffMember]:
    """Return the active supervisors and admins, by name."""
    result = await session.scalars(
        select(StaffMember)
        .where(StaffMember.removed_at.is_(None), StaffMember.role.in_(SUPERVISING_ROLES))
        .order_by(StaffMember.name, StaffMember.id)
    )
    return list(result)


def prefer(resident: Resident, how: str) -> None:
    """Remember how the resident prefers to talk: phone, video, in-person or chat.

    Raises:
        ValueError: ``how`` is none of those.
    """
    if how not in BOOKING_WAYS:
        raise ValueError(f"unknown way to talk: {how!r}")
    resident.preferred_how = how


# --- invites -----------------------------------------------------------------------------


class InviteState(StrEnum):
    """What an invite code stands for right now."""

    VALID = "valid"
    """Unused, not expired, and its staff member is still on staff."""
    USED = "used"
    """Someone used it already (see ``used_by``)."""
    EXPIRED = "expired"
    """Older than :data:`INVITE_LIFETIME`."""
    WITHDRAWN = "withdrawn"
    """Its staff member was removed from staff."""
    UNKNOWN = "unknown"
    """No invite has this code: mistyped, cut short, or forged."""


@dataclass(frozen=True)
class InviteCheck:
    """An invite's state, the staff member it links to, and who used it (if anyone)."""

    state: InviteState
    staff: StaffMember | None = None
    used_by: int | None = None


async def create_invite(session: AsyncSession, staff_id: int, now: datetime) -> str:
    """Make a one-time invite to the staff member; return its code (stored only as a hash)."""
    code = new_code()
    session.add(
        Invite(
            code_hash=code_hash(code),
            staff_id=staff_id,
            created_at=now,
            expires_at=now + INVITE_LIFETIME,
        )
    )
    await session.flush()
    return code


async def check_invite(session: AsyncSession, code: str, now: datetime) -> InviteCheck:
    """Say what an invite code stands for now, without using it."""
    row = (
        await session.execute(
            select(Invite, StaffMember)
            .join(StaffMember, StaffMember.id == Invite.staff_id)
            .where(Invite.code_hash == code_hash(code))
            .execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return InviteCheck(InviteState.UNKNOWN)
    invite, staff = row
    if invite.used_at is not None:
        return InviteCheck(InviteState.USED, staff, invite.used_by)
    if staff.removed_at is not None:
        return InviteCheck(InviteState.WITHDRAWN, staff)
    if invite.expires_at <= now:
        return InviteCheck(InviteState.EXPIRED, staff)
    return InviteCheck(InviteState.VALID, staff)


async def use_invite(
    session: AsyncSession, code: str, resident: Resident, now: datetime
) -> InviteCheck:
    """Use an invite: its staff member becomes the resident's contact. Exactly one use wins.

    Returns:
        ``VALID`` with the staff member when this call used it; otherwise why not (the
        state :func:`check_invite` gives afterwards), and nothing changes.
    """
    staff_id = await session.scalar(
        update(Invite)
        .where(
            Invite.code_hash == code_hash(code),
            Invite.used_at.is_(None),
            Invite.expires_at > now,
            Invite.staff_id.in_(_active_staff_ids()),
        )
        .values(used_at=now, used_by=resident.id)
        .returning(Invite.staff_id)
        .execution_options(synchronize_session=False)
    )
    if staff_id is None:
        return await check_invite(session, code, now)
    staff = await session.get(StaffMember, staff_id)
    assert staff is not None, "an invite's staff member vanished inside its own transaction"
    resident.contact_id, resident.contact_since = staff.id, now
    return InviteCheck(InviteState.VALID, staff, resident.id)


# --- handing over, and staff who leave ---------------------------------------------------


async def hand_over(
    session: AsyncSession,
    *,
    resident_id: int,
    from_staff_id: int | None,
    to_staff_id: int,
    now: datetime,
) -> bool:
    """Make ``to_staff_id`` the resident's contact, if ``from_staff_id`` still is.

    Of two handovers of one resident at once, exactly one wins: the second one's
    ``from_staff_id`` no longer matches. The new contact must be on staff.

    Returns:
        Whether the resident was handed over.
    """
    current = (
        Resident.contact_id.is_(None)
        if from_staff_id is None
        else Resident.contact_id == from_staff_id
    )
    moved = await session.scalar(
        update(Resident)
        .where(Resident.id == resident_id, current, _to_active(to_staff_id))
        .values(contact_id=to_staff_id, contact_since=now)
        .returning(Resident.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        return False
    # A resident object the caller holds shows the new contact too.
    await session.get(Resident, resident_id, populate_existing=True)
    return True


async def hand_over_all(
    session: AsyncSession,
    *,
    from_staff_id: int,
    to_staff_id: int,
    now: datetime,
    chat_id: int | None = None,
) -> list[Resident]:
    """Move every resident of one staff member (or the one in ``chat_id``) to another.

    Returns:
        The residents moved, as they now are; none when the new contact is not on staff.
    """
    statement = update(Resident).where(
        Resident.contact_id == from_staff_id, _to_active(to_staff_id)
    )
    if chat_id is not None:
        statement = statement.where(Resident.chat_id == chat_id)
    moved = await session.scalars(
        statement.values(contact_id=to_staff_id, contact_since=now)
        .returning(Resident)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(moved, key=lambda resident: resident.id)


async def release_residents_of(
    session: AsyncSession, staff_id: int, now: datetime
) -> list[Resident]:
    """A staff member leaves: their residents go back to the reception team.

    Their unused invites stop working too (they would work again if the person were
    ever registered anew). Bookings and cases are not touched here.

    Returns:
        The residents released, as they now are, so the caller can tell each of them.
    """
    await session.execute(
        update(Invite)
        .where(Invite.staff_id == staff_id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    released = await session.scalars(
        update(Resident)
        .where(Resident.contact_id == staff_id)
        .values(contact_id=None, contact_since=None)
        .returning(Resident)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return sorted(released, key=lambda resident: resident.id)


async def forget_contact(session: AsyncSession, resident: Resident) -> None:
    """Drop the resident's contact link and preference, and their name on any used invite."""
    resident.contact_id = resident.contact_since = resident.preferred_how = None
    await session.execute(
        update(Invite)
        .where(Invite.used_by == resident.id)
        .values(used_by=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
