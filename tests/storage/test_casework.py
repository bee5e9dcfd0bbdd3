"""Cases, claims, timers, audit and recent texts on real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import casework, queries
from storage.casework import ClaimOutcome
from storage.db import Database
from storage.models import AuditEntry, Case, Resident, Timer

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
T = TypeVar("T")


async def add_resident(db: Database, user: int = 1) -> int:
    async with db.session() as session, session.begin():
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=user, chat_id=user, locale="sv", now=NOW
        )
    return resident.id


async def add_staff(db: Database, user: int, name: str) -> int:
    async with db.session() as session, session.begin():
        member = await queries.add_staff_member(
            session, telegram_user_id=user, name=name, role="caseworker", now=NOW
        )
    return member.id


async def open_case(
    db: Database,
    resident_id: int,
    kind: casework.CaseKind = "person",
    category: str | None = None,
    excerpt: list[str] | None = None,
    now: datetime = NOW,
) -> tuple[Case, bool]:
    async with db.session() as session, session.begin():
        return await casework.open_case(
            session,
            resident_id=resident_id,
            kind=kind,
            category=category,
            language="sv",
            excerpt=excerpt,
            now=now,
        )


async def in_transaction(db: Database, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with db.session() as session, session.begin():
        return await work(session)


async def held_open(db: Database, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Do ``work`` and keep its transaction open a moment, so a concurrent one overlaps it."""
    async with db.session() as session, session.begin():
        result = await work(session)
        await asyncio.sleep(0.1)
        return result


async def count_cases(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def raw(db: Database, sql: str, **params: Any) -> Any:
    async with db.session() as session:
        return (await session.execute(text(sql), params)).one()


# --- opening ----------------------------------------------------------------------------


async def test_a_case_is_opened_once_per_resident(db: Database) -> None:
    resident = await add_resident(db)
    first, created = await open_case(db, resident, excerpt=["I need help with rent"])
    assert created
    assert (first.kind, first.status, first.category, first.language) == (
        "person",
        "open",
        None,
        "sv",
    )
    assert first.opened_at == NOW and first.escalation == 0
    assert first.excerpt == ["I need help with rent"]
    again, created = await open_case(db, resident, now=NOW + timedelta(minutes=5))
    assert not created
    assert again.id == first.id and again.opened_at == NOW
    assert await count_cases(db) == 1


async def test_an_urgent_request_upgrades_a_person_case(db: Database) -> None:
    resident = await add_resident(db)
    person, _ = await open_case(db, resident, excerpt=["hello"])
    urgent, created = await open_case(
        db, resident, kind="urgent", category="violence", excerpt=["he hits me"]
    )
    assert not created and urgent.id == person.id
    assert (urgent.kind, urgent.category, urgent.excerpt) == ("urgent", "violence", ["he hits me"])
    async with db.session() as session:
        stored = await casework.get_case(session, person.id)
    assert stored is not None and (stored.kind, stored.category) == ("urgent", "violence")


async def test_a_second_urgent_request_keeps_the_first_category(db: Database) -> None:
    resident = await add_resident(db)
    await open_case(db, resident, kind="urgent", category="suicide", excerpt=["first"])
    again, _ = await open_case(db, resident, kind="urgent", category="violence", excerpt=["x"])
    assert (again.kind, again.category, again.excerpt) == ("urgent", "suicide", ["first"])
    # A person request changes nothing on an urgent case.
    same, _ = await open_case(db, resident, kind="person")
    assert (same.kind, same.category) == ("urgent", "suicide")


async def test_an_urgent_case_without_category_takes_the_next_one(db: Database) -> None:
    resident = await add_resident(db)
    await open_case(db, resident, kind="urgent", category=None)
    again, _ = await open_case(db, resident, kind="urgent", category="violence")
    assert again.category == "violence"
    kept, _ = await open_case(db, resident, kind="urgent", category=None)
    assert kept.category == "violence"


async def test_a_closed_case_makes_room_for_a_new_one(db: Database) -> None:
    resident = await add_resident(db)
    staff = await add_staff(db, 7, "Sara")
    first, _ = await open_case(db, resident)
    async with db.session() as session, session.begin():
        assert await casework.close_case(session, first.id, staff, NOW)
        assert await casework.active_case(session, resident) is None
    second, created = await open_case(db, resident, kind="urgent", category="violence")
    assert created and second.id != first.id
    async with db.session() as session:
        active = await casework.active_case(session, resident)
    assert active is not None and active.id == second.id


async def test_the_database_refuses_two_active_cases_for_one_resident(db: Database) -> None:
    resident = await add_resident(db)

    def row(status: str) -> Case:
        return Case(
            resident_id=resident,
            kind="person",
            language="sv",
            status=status,
            opened_at=NOW,
            escalation=0,
        )

    async with db.session() as session, session.begin():
        session.add_all([row("closed"), row("closed"), row("claimed")])
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            session.add(row("open"))


async def test_two_requests_at_once_open_one_case(db: Database) -> None:
    resident = await add_resident(db)

    async def request(kind: casework.CaseKind, category: str | None) -> tuple[Case, bool]:
        return await held_open(
            db,
            lambda session: casework.open_case(
                session,
                resident_id=resident,
                kind=kind,
                category=category,
                language="sv",
                excerpt=None,
                now=NOW,
            ),
        )

    (one, one_new), (two, two_new) = await asyncio.gather(
        request("person", None), request("urgent", "violence")
    )
    assert one.id == two.id
    assert sorted([one_new, two_new]) == [False, True]
    assert await count_cases(db) == 1
    async with db.session() as session:
        stored = await casework.get_case(session, one.id)
    # Whichever came first, the urgent request leaves the case urgent.
    assert stored is not None and (stored.kind, stored.category) == ("urgent", "violence")


async def test_opening_a_case_is_undone_with_its_transaction(db: Database) -> None:
    resident = await add_resident(db)
    with pytest.raises(RuntimeError):
        async with db.session() as session, session.begin():
            await queries.find_resident(session, 1)
            await casework.open_case(
                session,
                resident_id=resident,
                kind="urgent",
                category=None,
                language="sv",
                excerpt=None,
                now=NOW,
            )
            raise RuntimeError("the rest of the handling failed")
    assert await count_cases(db) == 0


async def test_a_case_needs_a_real_resident(db: Database) -> None:
    with pytest.raises(IntegrityError):
        await open_case(db, 4242)


async def test_unknown_cases_are_none(db: Database) -> None:
    async with db.session() as session:
        assert await casework.get_case(session, 999) is None
        assert await casework.active_case(session, 999) is None


# --- claiming and closing ---------------------------------------------------------------


async def test_claim_says_who_holds_the_case(db: Database) -> None:
    resident = await add_resident(db)
    sara, ali = await add_staff(db, 7, "Sara"), await add_staff(db, 8, "Ali")
    opened, _ = await open_case(db, resident)
    later = NOW + timedelta(minutes=3)
    async with db.session() as session, session.begin():
        claim = await casework.claim_case(session, opened.id, sara, later)
    assert claim.outcome is ClaimOutcome.CLAIMED
    assert (claim.holder_id, claim.holder_name) == (sara, "Sara")
    assert claim.case is not None
    assert (claim.case.status, claim.case.claimed_by, claim.case.claimed_at) == (
        "claimed",
        sara,
        later,
    )
    async with db.session() as session, session.begin():
        mine = await casework.claim_case(session, opened.id, sara, later)
        theirs = await casework.claim_case(session, opened.id, ali, later)
        nothing = await casework.claim_case(session, 999, ali, later)
    assert mine.outcome is ClaimOutcome.ALREADY_YOURS
    assert (theirs.outcome, theirs.holder_id, theirs.holder_name) == (
        ClaimOutcome.TAKEN,
        sara,
        "Sara",
    )
    assert nothing == casework.Claim(ClaimOutcome.UNKNOWN)
    async with db.session() as session, session.begin():
        assert await casework.close_case(session, opened.id, sara, later)
        closed = await casework.claim_case(session, opened.id, ali, later)
    assert closed.outcome is ClaimOutcome.CLOSED and closed.holder_id is None
    async with db.session() as session:
        trail = await casework.audit_trail(session, opened.id)
    assert [(e.action, e.staff_id) for e in trail] == [("claim", sara), ("close", sara)]


async def test_two_staff_claiming_at_once_exactly_one_wins(db: Database) -> None:
    resident = await add_resident(db)
    sara, ali = await add_staff(db, 7, "Sara"), await add_staff(db, 8, "Ali")
    opened, _ = await open_case(db, resident, kind="urgent", category="violence")

    async def press_claim(staff_id: int) -> casework.Claim:
        return await held_open(
            db, lambda session: casework.claim_case(session, opened.id, staff_id, NOW)
        )

    first, second = await asyncio.gather(press_claim(sara), press_claim(ali))
    outcomes = sorted([first.outcome, second.outcome])
    assert outcomes == sorted([ClaimOutcome.CLAIMED, ClaimOutcome.TAKEN])
    winner = first if first.outcome is ClaimOutcome.CLAIMED else second
    loser = second if winner is first else first
    assert loser.holder_id == winner.holder_id
    async with db.session() as session:
        stored = await casework.get_case(session, opened.id)
        trail = await casework.audit_trail(session, opened.id)
    assert stored is not None and stored.claimed_by == winner.holder_id
    assert [(e.action, e.staff_id) for e in trail] == [("claim", winner.holder_id)]


async def test_closing_forgets_the_excerpt_and_cancels_timers(db: Database) -> None:
    one, two = await add_resident(db, 1), await add_resident(db, 2)
    sara = await add_staff(db, 7, "Sara")
    case, _ = await open_case(db, one, kind="urgent", excerpt=["my address is ..."])
    other, _ = await open_case(db, two, kind="urgent", excerpt=["keep me"])
    async with db.session() as session, session.begin():
        await casework.schedule(
            session, kind="escalate", case_id=case.id, due_at=NOW + timedelta(minutes=5)
        )
        await casework.schedule(
            session, kind="escalate", case_id=other.id, due_at=NOW + timedelta(minutes=5)
        )
    closed_at = NOW + timedelta(minutes=1)
    async with db.session() as session, session.begin():
        assert await casework.close_case(session, case.id, sara, closed_at)
        assert not await casework.close_case(session, case.id, sara, closed_at)
    excerpt_is_null, status, closed_by = await raw(
        db, "SELECT excerpt IS NULL, status, closed_by FROM cases WHERE id = :id", id=case.id
    )
    assert (bool(excerpt_is_null), status, closed_by) == (True, "closed", sara)
    async with db.session() as session, session.begin():
        stored = await casework.get_case(session, case.id)
        assert stored is not None and stored.excerpt is None and stored.closed_at == closed_at
        kept = await casework.get_case(session, other.id)
        assert kept is not None and kept.excerpt == ["keep me"]
        due = await casework.take_due_timers(session, NOW + timedelta(hours=1))
    assert [timer.case_id for timer in due] == [other.id]


async def test_an_open_case_can_be_closed_without_a_claim(db: Database) -> None:
    resident = await add_resident(db)
    sara = await add_staff(db, 7, "Sara")
    case, _ = await open_case(db, resident)
    async with db.session() as session, session.begin():
        assert await casework.close_case(session, case.id, sara, NOW)
        assert not await casework.close_case(session, 999, sara, NOW)


async def test_a_staff_members_claimed_cases_newest_claim_first(db: Database) -> None:
    residents = [await add_resident(db, user) for user in (1, 2, 3, 4)]
    sara, ali = await add_staff(db, 7, "Sara"), await add_staff(db, 8, "Ali")
    cases = [(await open_case(db, resident))[0] for resident in residents]
    async with db.session() as session, session.begin():
        await casework.claim_case(session, cases[0].id, sara, NOW + timedelta(minutes=1))
        await casework.claim_case(session, cases[1].id, sara, NOW + timedelta(minutes=3))
        await casework.claim_case(session, cases[2].id, ali, NOW + timedelta(minutes=2))
        await casework.claim_case(session, cases[3].id, sara, NOW + timedelta(minutes=2))
        await casework.close_case(session, cases[3].id, sara, NOW + timedelta(minutes=4))
    async with db.session() as session:
        held = await casework.claimed_cases_of(session, sara)
        nobody = await casework.claimed_cases_of(session, 999)
    assert [case.id for case in held] == [cases[1].id, cases[0].id]
    assert nobody == []


async def test_waiting_cases_are_open_ones_oldest_first(db: Database) -> None:
    residents = [await add_resident(db, user) for user in (1, 2, 3)]
    sara = await add_staff(db, 7, "Sara")
    late, _ = await open_case(db, residents[0], now=NOW + timedelta(minutes=9))
    early, _ = await open_case(db, residents[1], now=NOW)
    claimed, _ = await open_case(db, residents[2], now=NOW - timedelta(minutes=1))
    async with db.session() as session, session.begin():
        await casework.claim_case(session, claimed.id, sara, NOW)
        waiting = await casework.cases_waiting(session)
    assert [case.id for case in waiting] == [early.id, late.id]


async def test_escalation_happens_once_per_level_and_only_while_unclaimed(db: Database) -> None:
    one, two = await add_resident(db, 1), await add_resident(db, 2)
    sara = await add_staff(db, 7, "Sara")
    waiting, _ = await open_case(db, one, kind="urgent")
    taken, _ = await open_case(db, two, kind="urgent")
    async with db.session() as session, session.begin():
        await casework.claim_case(session, taken.id, sara, NOW)
        assert await casework.escalate(session, waiting.id, 1, NOW)
        assert not await casework.escalate(session, waiting.id, 1, NOW)
        assert await casework.escalate(session, waiting.id, 2, NOW)
        assert not await casework.escalate(session, waiting.id, 1, NOW)
        assert not await casework.escalate(session, taken.id, 1, NOW)
        assert not await casework.escalate(session, 999, 1, NOW)
    async with db.session() as session:
        stored = await casework.get_case(session, waiting.id)
        trail = await casework.audit_trail(session, waiting.id)
    assert stored is not None and stored.escalation == 2
    assert [(e.action, e.staff_id) for e in trail] == [("escalated", None), ("escalated", None)]


async def test_closed_case_texts_are_swept(db: Database) -> None:
    one, two, three = [await add_resident(db, user) for user in (1, 2, 3)]
    sara = await add_staff(db, 7, "Sara")
    old, _ = await open_case(db, one, excerpt=["old"])
    recent, _ = await open_case(db, two, excerpt=["recent"])
    active, _ = await open_case(db, three, excerpt=["active"])
    async with db.session() as session, session.begin():
        await casework.close_case(session, old.id, sara, NOW - timedelta(days=2))
        await casework.close_case(session, recent.id, sara, NOW)
        # As if closed by an older release that kept the excerpt.
        await session.execute(
            update(Case).where(Case.id.in_([old.id, recent.id])).values(excerpt=["left"])
        )
    async with db.session() as session, session.begin():
        assert await casework.forget_closed_case_texts(session, NOW - timedelta(days=1)) == 1
        assert await casework.forget_closed_case_texts(session, NOW - timedelta(days=1)) == 0
    async with db.session() as session:
        found = [await casework.get_case(session, c.id) for c in (old, recent, active)]
    assert [case.excerpt if case else "missing" for case in found] == [None, ["left"], ["active"]]


# --- posts ------------------------------------------------------------------------------


async def test_a_staff_reply_finds_its_case_through_the_post(db: Database) -> None:
    one, two = await add_resident(db, 1), await add_resident(db, 2)
    first, _ = await open_case(db, one)
    second, _ = await open_case(db, two)
    async with db.session() as session, session.begin():
        await casework.record_post(session, chat_id=-100, message_id=5, case_id=first.id)
        await casework.record_post(session, chat_id=-100, message_id=6, case_id=second.id)
        await casework.record_post(session, chat_id=77, message_id=5, case_id=second.id)
        # A retried delivery records the same post again: harmless.
        await casework.record_post(session, chat_id=-100, message_id=5, case_id=first.id)
    async with db.session() as session:
        found = [
            await casework.case_for_post(session, chat, message)
            for chat, message in ((-100, 5), (-100, 6), (77, 5), (77, 6))
        ]
    assert [case.id if case else None for case in found] == [first.id, second.id, second.id, None]


async def test_the_cards_of_a_case_are_its_posts_with_buttons(db: Database) -> None:
    one, two = await add_resident(db, 1), await add_resident(db, 2)
    first, _ = await open_case(db, one)
    second, _ = await open_case(db, two)
    head = {"msgid": "🔴 URGENT: {category}", "params": {}}
    async with db.session() as session, session.begin():
        await casework.record_post(
            session,
            chat_id=-100,
            message_id=5,
            case_id=first.id,
            card={"kind": "card", "head": head},
        )
        await casework.record_post(session, chat_id=-100, message_id=6, case_id=first.id)
        await casework.record_post(
            session, chat_id=77, message_id=9, case_id=first.id, card={"kind": "reminder"}
        )
        await casework.record_post(
            session, chat_id=-100, message_id=7, case_id=second.id, card={"kind": "card"}
        )
    async with db.session() as session:
        cards = await casework.card_posts(session, first.id)
        words = await casework.post_at(session, -100, 6)
        missing = await casework.post_at(session, -100, 8)
    assert [(p.chat_id, p.message_id, p.card) for p in cards] == [
        (-100, 5, {"kind": "card", "head": head}),
        (77, 9, {"kind": "reminder"}),
    ]
    assert words is not None and words.card is None and missing is None


async def test_a_post_needs_a_real_case(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            await casework.record_post(session, chat_id=-100, message_id=1, case_id=999)


# --- timers -----------------------------------------------------------------------------


async def test_due_timers_are_taken_once_in_order(db: Database) -> None:
    resident = await add_resident(db)
    case, _ = await open_case(db, resident, kind="urgent")
    async with db.session() as session, session.begin():
        assert await casework.next_timer_due(session) is None
        late = await casework.schedule(
            session, kind="remind_112", case_id=case.id, due_at=NOW + timedelta(minutes=10)
        )
        soon = await casework.schedule(
            session, kind="escalate", case_id=case.id, due_at=NOW + timedelta(minutes=5)
        )
        future = await casework.schedule(
            session, kind="escalate", case_id=None, due_at=NOW + timedelta(hours=1)
        )
    async with db.session() as session:
        assert await casework.next_timer_due(session) == NOW + timedelta(minutes=5)
    async with db.session() as session, session.begin():
        assert await casework.take_due_timers(session, NOW) == []
        taken = await casework.take_due_timers(session, NOW + timedelta(minutes=10))
    assert [(t.id, t.kind) for t in taken] == [(soon.id, "escalate"), (late.id, "remind_112")]
    assert all(t.done_at == NOW + timedelta(minutes=10) for t in taken)
    async with db.session() as session, session.begin():
        assert await casework.take_due_timers(session, NOW + timedelta(minutes=30)) == []
        assert await casework.next_timer_due(session) == future.due_at
        (last,) = await casework.take_due_timers(session, NOW + timedelta(days=1))
        assert last.id == future.id
        assert await casework.next_timer_due(session) is None


async def test_timers_taken_in_a_failed_transaction_come_back(db: Database) -> None:
    async with db.session() as session, session.begin():
        timer = await casework.schedule(session, kind="escalate", case_id=None, due_at=NOW)
    with pytest.raises(RuntimeError):
        async with db.session() as session, session.begin():
            assert len(await casework.take_due_timers(session, NOW)) == 1
            raise RuntimeError("sending the escalation failed")
    async with db.session() as session, session.begin():
        assert [t.id for t in await casework.take_due_timers(session, NOW)] == [timer.id]


async def test_take_due_timers_respects_the_limit(db: Database) -> None:
    async with db.session() as session, session.begin():
        ids = [
            (
                await casework.schedule(
                    session, kind="escalate", case_id=None, due_at=NOW - timedelta(minutes=m)
                )
            ).id
            for m in range(5)
        ]
    async with db.session() as session, session.begin():
        first = await casework.take_due_timers(session, NOW, limit=3)
        rest = await casework.take_due_timers(session, NOW, limit=3)
    # Earliest due first: the last scheduled is the most overdue.
    assert [t.id for t in first] == ids[::-1][:3]
    assert [t.id for t in rest] == ids[::-1][3:]


async def test_two_workers_never_take_the_same_timer(db: Database) -> None:
    async with db.session() as session, session.begin():
        for minutes in range(6):
            await casework.schedule(
                session, kind="escalate", case_id=None, due_at=NOW - timedelta(minutes=minutes)
            )

    async def worker() -> list[Timer]:
        return await held_open(db, lambda session: casework.take_due_timers(session, NOW, 4))

    first, second = await asyncio.gather(worker(), worker())
    first_ids, second_ids = {t.id for t in first}, {t.id for t in second}
    assert not first_ids & second_ids
    # Neither waits for the other and comes back empty: between them they take all six.
    assert len(first_ids | second_ids) == 6


async def test_cancelled_timers_never_fire(db: Database) -> None:
    one, two = await add_resident(db, 1), await add_resident(db, 2)
    case, _ = await open_case(db, one, kind="urgent")
    other, _ = await open_case(db, two, kind="urgent")
    async with db.session() as session, session.begin():
        for minutes in (5, 10):
            await casework.schedule(
                session, kind="escalate", case_id=case.id, due_at=NOW + timedelta(minutes=minutes)
            )
        kept = await casework.schedule(
            session, kind="escalate", case_id=other.id, due_at=NOW + timedelta(minutes=5)
        )
    async with db.session() as session, session.begin():
        assert await casework.cancel_timers(session, case.id, NOW) == 2
        assert await casework.cancel_timers(session, case.id, NOW) == 0
        assert await casework.next_timer_due(session) == kept.due_at
        taken = await casework.take_due_timers(session, NOW + timedelta(hours=1))
    assert [t.id for t in taken] == [kept.id]


async def test_a_timer_needs_a_real_case(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            await casework.schedule(session, kind="escalate", case_id=999, due_at=NOW)


# --- audit ------------------------------------------------------------------------------


async def test_the_audit_trail_is_in_order_and_keeps_outsiders(db: Database) -> None:
    resident = await add_resident(db)
    sara = await add_staff(db, 7, "Sara")
    case, _ = await open_case(db, resident)
    async with db.session() as session, session.begin():
        # Written out of time order on purpose; two share a time and keep insertion order.
        await casework.audit(
            session, staff_id=sara, action="reply", case_id=case.id, now=NOW + timedelta(days=2)
        )
        await casework.audit(session, staff_id=sara, action="read", case_id=case.id, now=NOW)
        await casework.audit(session, staff_id=None, action="forbidden", case_id=case.id, now=NOW)
        await casework.audit(
            session, staff_id=None, action="forbidden", case_id=None, now=NOW + timedelta(days=1)
        )
    async with db.session() as session:
        trail = await casework.audit_trail(session, case.id)
        everything = await casework.audit_entries(session)
        latest = await casework.audit_entries(session, since=NOW + timedelta(hours=1))
        newest = await casework.audit_entries(session, limit=1)
    assert [(e.action, e.staff_id, e.at) for e in trail] == [
        ("read", sara, NOW),
        ("forbidden", None, NOW),
        ("reply", sara, NOW + timedelta(2)),
    ]
    assert [e.action for e in everything] == ["reply", "forbidden", "forbidden", "read"]
    assert [(e.action, e.case_id) for e in latest] == [("reply", case.id), ("forbidden", None)]
    assert [e.action for e in newest] == ["reply"]


async def test_the_audit_log_outlives_a_removed_staff_member(db: Database) -> None:
    resident = await add_resident(db)
    sara = await add_staff(db, 7, "Sara")
    case, _ = await open_case(db, resident)
    async with db.session() as session, session.begin():
        await casework.claim_case(session, case.id, sara, NOW)
        await queries.remove_staff_member(session, 7, NOW)
    async with db.session() as session:
        (entry,) = await casework.audit_trail(session, case.id)
    assert (entry.staff_id, entry.action) == (sara, "claim")


async def test_an_audit_entry_needs_real_staff(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            await casework.audit(session, staff_id=999, action="read", case_id=None, now=NOW)
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0


# --- recent texts -------------------------------------------------------------------------


def resident_with(entries: list[dict[str, str]] | None = None) -> Resident:
    return Resident(telegram_user_id=1, chat_id=1, locale="sv", recent_texts=entries)


def test_recent_texts_keep_the_last_five_each_cut_short() -> None:
    resident = resident_with()
    assert casework.recent_texts(resident, NOW) == []
    for n in range(7):
        casework.remember_text(resident, f"text {n}", NOW + timedelta(minutes=n))
    casework.remember_text(resident, "x" * 5000, NOW + timedelta(minutes=8))
    casework.remember_text(resident, "   ", NOW + timedelta(minutes=9))
    texts = casework.recent_texts(resident, NOW + timedelta(minutes=10))
    assert texts == ["text 3", "text 4", "text 5", "text 6", "x" * 1000]
    assert resident.recent_texts is not None and resident.recent_texts[0] == {
        "at": "2026-11-23T09:33:00+00:00",
        "text": "text 3",
    }


def test_recent_texts_are_stamped_in_utc() -> None:
    resident = resident_with()
    stockholm = timezone(timedelta(hours=1))
    casework.remember_text(resident, "hej", datetime(2026, 11, 23, 10, 30, 15, 999, stockholm))
    assert resident.recent_texts == [{"at": "2026-11-23T09:30:15+00:00", "text": "hej"}]


def test_texts_older_than_a_day_are_neither_shown_nor_kept() -> None:
    resident = resident_with()
    casework.remember_text(resident, "two days ago", NOW - timedelta(days=2))
    casework.remember_text(resident, "exactly a day ago", NOW - timedelta(days=1))
    casework.remember_text(resident, "an hour ago", NOW - timedelta(hours=1))
    assert casework.recent_texts(resident, NOW) == ["exactly a day ago", "an hour ago"]
    casework.remember_text(resident, "now", NOW + timedelta(seconds=1))
    assert [e["text"] for e in resident.recent_texts or []] == ["an hour ago", "now"]
    casework.remember_text(resident, "", NOW + timedelta(days=3))
    assert resident.recent_texts is None


async def test_recent_texts_survive_the_database(db: Database) -> None:
    async with db.session() as session, session.begin():
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=1, chat_id=1, locale="sv", now=NOW
        )
        casework.remember_text(resident, "first", NOW)
    async with db.session() as session, session.begin():
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=1, chat_id=1, locale="sv", now=NOW
        )
        casework.remember_text(resident, "ändå ☕", NOW + timedelta(minutes=1))
    async with db.session() as session:
        stored = await queries.find_resident(session, 1)
    assert stored is not None
    assert casework.recent_texts(stored, NOW + timedelta(minutes=2)) == ["first", "ändå ☕"]


async def test_stale_texts_are_forgotten_in_bulk(db: Database) -> None:
    stale, mixed, fresh, silent = [await add_resident(db, user) for user in (1, 2, 3, 4)]
    texts = {
        stale: [("old", NOW - timedelta(days=3)), ("older", NOW - timedelta(hours=25))],
        mixed: [("old", NOW - timedelta(hours=30)), ("new", NOW - timedelta(hours=2))],
        fresh: [("new", NOW - timedelta(hours=23))],
    }
    async with db.session() as session, session.begin():
        for resident_id, written in texts.items():
            resident = await session.get(Resident, resident_id)
            assert resident is not None
            # Stored as written earlier, before any pruning.
            resident.recent_texts = [
                {"at": at.isoformat(timespec="seconds"), "text": words} for words, at in written
            ]
    async with db.session() as session, session.begin():
        assert await casework.forget_old_texts(session, NOW) == 2
        assert await casework.forget_old_texts(session, NOW) == 0
    stored = {}
    async with db.session() as session:
        for resident_id in (stale, mixed, fresh, silent):
            resident = await session.get(Resident, resident_id)
            assert resident is not None
            stored[resident_id] = [e["text"] for e in resident.recent_texts or []]
    assert stored == {stale: [], mixed: ["new"], fresh: ["new"], silent: []}
    is_null = await raw(db, "SELECT recent_texts IS NULL FROM residents WHERE id = :id", id=stale)
    assert bool(is_null[0])


async def test_a_leaving_staff_members_cases_open_again_due_for_escalation(db: Database) -> None:
    from storage import casework as cw

    async with db.session() as session, session.begin():
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=9001, chat_id=9001, locale="sv", now=NOW
        )
        member = await queries.add_staff_member(
            session, telegram_user_id=9002, name="Sara", role="caseworker", now=NOW
        )
        case, _ = await cw.open_case(
            session,
            resident_id=resident.id,
            kind="urgent",
            category="violence",
            language="sv",
            excerpt=["hjälp"],
            now=NOW,
        )
        await cw.claim_case(session, case.id, member.id, NOW)
    async with db.session() as session, session.begin():
        released = await cw.release_cases_of(session, member.id, NOW)
    assert released == [case.id]
    async with db.session() as session, session.begin():
        again = await cw.get_case(session, case.id)
        due = await cw.take_due_timers(session, NOW)
        trail = [e.action for e in await cw.audit_trail(session, case.id)]
    assert again is not None and again.status == "open" and again.claimed_by is None
    assert [(t.kind, t.case_id) for t in due] == [("escalate", case.id)]
    assert trail == ["claim", "released"]
