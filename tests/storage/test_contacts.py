"""Named contacts on real SQLite and real PostgreSQL: invites, handovers, leaving staff, /forget."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.contact import invite_code, invite_link
from storage import casework, contacts, queries
from storage.contacts import INVITE_LIFETIME, InviteState
from storage.db import Database
from storage.models import Invite, Resident

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
T = TypeVar("T")


async def in_transaction(db: Database, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with db.session() as session, session.begin():
        return await work(session)


async def add_resident(db: Database, user: int) -> int:
    async def meet(session: AsyncSession) -> int:
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=user, chat_id=user, locale="sv", now=NOW
        )
        return resident.id

    return await in_transaction(db, meet)


async def add_staff(db: Database, user: int, name: str, role: str = "caseworker") -> int:
    async def add(session: AsyncSession) -> int:
        member = await queries.add_staff_member(
            session, telegram_user_id=user, name=name, role=role, now=NOW
        )
        return member.id

    return await in_transaction(db, add)


async def invite(db: Database, staff_id: int, now: datetime = NOW) -> str:
    return await in_transaction(db, lambda s: contacts.create_invite(s, staff_id, now))


async def use(db: Database, code: str, resident_id: int, now: datetime = NOW) -> InviteState:
    async def work(session: AsyncSession) -> InviteState:
        resident = await session.get(Resident, resident_id)
        assert resident is not None
        return (await contacts.use_invite(session, code, resident, now)).state

    return await in_transaction(db, work)


async def contact_id(db: Database, resident_id: int) -> int | None:
    async with db.session() as session:
        found = await contacts.contact_of(session, resident_id)
    return found.id if found is not None else None


async def remove(db: Database, user: int, now: datetime = NOW) -> None:
    await in_transaction(db, lambda s: queries.remove_staff_member(s, user, now))


# --- invites -----------------------------------------------------------------------------


async def test_an_invite_keeps_only_the_hash_and_links_the_resident_once(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara Lind")
    amal = await add_resident(db, 1)
    code = await invite(db, sara)
    # A code fits a Telegram deep link with our prefix, and the database never holds it.
    payload = invite_link("nara_bot", code).split("?start=")[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload) and invite_code(payload) == code
    async with db.session() as session:
        rows = (await session.execute(text("SELECT * FROM invites"))).all()
    assert len(rows) == 1 and code not in repr(rows)
    assert rows[0].code_hash == hashlib.sha256(code.encode()).hexdigest()

    async with db.session() as session:
        check = await contacts.check_invite(session, code, NOW)
    assert check.state == InviteState.VALID and check.staff is not None
    assert check.staff.name == "Sara Lind"
    assert await contact_id(db, amal) is None

    assert await use(db, code, amal, NOW + timedelta(minutes=1)) == InviteState.VALID
    assert await contact_id(db, amal) == sara
    async with db.session() as session:
        resident = await session.get(Resident, amal)
        used = await contacts.check_invite(session, code, NOW)
    assert resident is not None and resident.contact_since == NOW + timedelta(minutes=1)
    assert (used.state, used.used_by) == (InviteState.USED, amal)

    omar = await add_resident(db, 2)
    assert await use(db, code, omar) == InviteState.USED
    assert await contact_id(db, omar) is None


async def test_codes_differ_every_time(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    codes = {await invite(db, sara) for _ in range(20)}
    assert len(codes) == 20 and all(len(code) == 32 for code in codes)


async def test_an_invite_expires_after_seven_days(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    amal = await add_resident(db, 1)
    code = await invite(db, sara)
    just_in_time = NOW + INVITE_LIFETIME - timedelta(seconds=1)
    async with db.session() as session:
        assert (await contacts.check_invite(session, code, just_in_time)).state == "valid"
        too_late = await contacts.check_invite(session, code, NOW + INVITE_LIFETIME)
    assert too_late.state == InviteState.EXPIRED
    assert await use(db, code, amal, NOW + INVITE_LIFETIME) == InviteState.EXPIRED
    assert await contact_id(db, amal) is None


async def test_an_unknown_code_is_unknown(db: Database) -> None:
    await add_staff(db, 100, "Sara")
    amal = await add_resident(db, 1)
    forged = contacts.new_code()
    assert await use(db, forged, amal) == InviteState.UNKNOWN
    assert await contact_id(db, amal) is None


async def test_an_invite_of_someone_removed_no_longer_works(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    amal = await add_resident(db, 1)
    code = await invite(db, sara)
    await remove(db, 100)
    assert await use(db, code, amal) == InviteState.WITHDRAWN
    assert await contact_id(db, amal) is None


async def test_two_people_opening_one_link_at_once_cannot_both_have_it(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    amal, omar = await add_resident(db, 1), await add_resident(db, 2)
    code = await invite(db, sara)
    async with db.session() as first, first.begin():
        resident = await first.get(Resident, amal)
        assert resident is not None
        won = await contacts.use_invite(first, code, resident, NOW)
        # The second one starts while the first holds the invite (on PostgreSQL it waits
        # for the row; on SQLite for the one writer), and ends after the first commits.
        second = asyncio.create_task(use(db, code, omar))
        await asyncio.sleep(0)
    assert won.state == InviteState.VALID
    assert await second == InviteState.USED
    assert (await contact_id(db, amal), await contact_id(db, omar)) == (sara, None)


# --- who is whose contact ------------------------------------------------------------------


async def test_contact_of_is_none_once_the_staff_member_is_removed(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    amal = await add_resident(db, 1)
    assert await use(db, await invite(db, sara), amal) == InviteState.VALID
    await remove(db, 100)
    # Removed but not yet released (a reader in between): no one who left is offered.
    assert await contact_id(db, amal) is None


async def test_a_leaving_staff_members_residents_go_back_to_reception(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    jonas = await add_staff(db, 101, "Jonas")
    amal, omar, lina = [await add_resident(db, user) for user in (1, 2, 3)]
    for resident in (amal, omar):
        assert await use(db, await invite(db, sara), resident) == InviteState.VALID
    assert await use(db, await invite(db, jonas), lina) == InviteState.VALID
    unused = await invite(db, sara)

    async def leave(session: AsyncSession) -> list[Resident]:
        await queries.remove_staff_member(session, 100, NOW)
        return await contacts.release_residents_of(session, sara, NOW)

    released = await in_transaction(db, leave)
    assert [r.id for r in released] == [amal, omar]
    assert all(r.contact_id is None and r.contact_since is None for r in released)
    assert (await contact_id(db, amal), await contact_id(db, lina)) == (None, jonas)
    async with db.session() as session:
        assert await contacts.residents_of(session, sara) == []
        # Brought back later, their old links still do not work.
        await queries.add_staff_member(
            session, telegram_user_id=100, name="Sara", role="caseworker", now=NOW
        )
        assert (await contacts.check_invite(session, unused, NOW)).state == "expired"


async def test_a_handover_happens_once_and_only_to_active_staff(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    jonas = await add_staff(db, 101, "Jonas", role="supervisor")
    mira = await add_staff(db, 102, "Mira")
    amal = await add_resident(db, 1)
    assert await use(db, await invite(db, sara), amal) == InviteState.VALID

    async def hand(from_id: int | None, to_id: int) -> bool:
        return await in_transaction(
            db,
            lambda s: contacts.hand_over(
                s, resident_id=amal, from_staff_id=from_id, to_staff_id=to_id, now=NOW
            ),
        )

    # Two handovers from the same screen: the first wins, the second finds it changed.
    assert await hand(sara, jonas)
    assert not await hand(sara, mira)
    assert await contact_id(db, amal) == jonas
    await remove(db, 102)
    assert not await hand(jonas, mira)
    assert await contact_id(db, amal) == jonas
    lina = await add_resident(db, 2)
    assert not await in_transaction(
        db,
        lambda s: contacts.hand_over(
            s, resident_id=lina, from_staff_id=sara, to_staff_id=jonas, now=NOW
        ),
    )
    assert await in_transaction(
        db,
        lambda s: contacts.hand_over(
            s, resident_id=lina, from_staff_id=None, to_staff_id=sara, now=NOW
        ),
    )
    assert await contact_id(db, lina) == sara


async def test_all_or_one_of_someones_residents_can_be_handed_over(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    jonas = await add_staff(db, 101, "Jonas")
    amal, omar, lina = [await add_resident(db, user) for user in (1, 2, 3)]
    for resident in (amal, omar, lina):
        assert await use(db, await invite(db, sara), resident) == InviteState.VALID
    later = NOW + timedelta(days=1)
    one = await in_transaction(
        db,
        lambda s: contacts.hand_over_all(
            s, from_staff_id=sara, to_staff_id=jonas, now=later, chat_id=2
        ),
    )
    assert [(r.id, r.contact_id, r.contact_since) for r in one] == [(omar, jonas, later)]
    rest = await in_transaction(
        db, lambda s: contacts.hand_over_all(s, from_staff_id=sara, to_staff_id=jonas, now=later)
    )
    assert [r.id for r in rest] == [amal, lina]
    async with db.session() as session:
        assert [r.id for r in await contacts.residents_of(session, jonas)] == [amal, omar, lina]


async def test_supervisors_are_the_active_supervisors_and_admins(db: Database) -> None:
    await add_staff(db, 100, "Sara")
    await add_staff(db, 101, "Jonas", role="supervisor")
    await add_staff(db, 102, "Ada", role="admin")
    await add_staff(db, 103, "Bo", role="supervisor")
    await remove(db, 103)
    async with db.session() as session:
        names = [member.name for member in await contacts.supervisors(session)]
    assert names == ["Ada", "Jonas"]


# --- /forget -----------------------------------------------------------------------------


async def test_forget_drops_the_contact_and_the_name_on_the_invite(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    amal, omar = await add_resident(db, 1), await add_resident(db, 2)
    for resident in (amal, omar):
        assert await use(db, await invite(db, sara), resident) == InviteState.VALID

    async def prefer_video(session: AsyncSession) -> None:
        resident = await session.get(Resident, omar)
        assert resident is not None
        contacts.prefer(resident, "video")

    await in_transaction(db, prefer_video)
    # Omar has a case: his row stays (without the contact); Amal has none: she goes, even
    # though an invite she used points at her.
    await in_transaction(
        db,
        lambda s: casework.open_case(
            s, resident_id=omar, kind="person", category=None, language="sv", excerpt=None, now=NOW
        ),
    )

    async def forget(resident_id: int) -> bool:
        async def work(session: AsyncSession) -> bool:
            resident = await session.get(Resident, resident_id)
            assert resident is not None
            return await queries.forget_resident(session, resident)

        return await in_transaction(db, work)

    assert await forget(amal) is True
    assert await forget(omar) is False
    async with db.session() as session:
        kept = await session.get(Resident, omar)
        used_by = list(await session.scalars(select(Invite.used_by)))
        assert await session.get(Resident, amal) is None
    assert kept is not None
    assert (kept.contact_id, kept.contact_since, kept.preferred_how) == (None, None, None)
    assert used_by == [None, None]


async def test_a_preference_must_be_one_of_the_four_ways(db: Database) -> None:
    amal = await add_resident(db, 1)

    async def work(session: AsyncSession) -> None:
        resident = await session.get(Resident, amal)
        assert resident is not None
        for how in ("phone", "video", "in-person", "chat"):
            contacts.prefer(resident, how)
            assert resident.preferred_how == how
        try:
            contacts.prefer(resident, "fax")
        except ValueError:
            return
        raise AssertionError("a fax was accepted")

    await in_transaction(db, work)


async def test_staff_by_user_finds_removed_staff_too(db: Database) -> None:
    sara = await add_staff(db, 100, "Sara")
    await remove(db, 100)
    async with db.session() as session:
        found = await contacts.staff_by_user(session, 100)
        assert found is not None and found.id == sara and found.removed_at is not None
        assert await contacts.staff_by_user(session, 999) is None
