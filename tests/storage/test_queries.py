"""Storage behaviour on real SQLite and real PostgreSQL, schema built by the migrations."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from storage import casework, queries
from storage.casework import remember_text
from storage.db import Database
from storage.models import Base, Resident

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


async def test_migrations_build_exactly_the_models(db: Database) -> None:
    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables
    assert await db.revision() is not None


async def test_migrations_leave_nothing_for_autogenerate(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def differences(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_upgrade_twice_is_harmless(db: Database) -> None:
    before = await db.revision()
    await db.upgrade()
    assert await db.revision() == before


async def test_an_update_is_stored_once(db: Database) -> None:
    async with db.session() as session, session.begin():
        first = await queries.store_updates(
            session, [(10, 5, {"update_id": 10}), (11, 5, {"u": 11})], NOW
        )
    async with db.session() as session, session.begin():
        again = await queries.store_updates(session, [(11, 5, {"u": 11}), (12, 6, {"u": 12})], NOW)
    assert first == {10, 11}
    assert again == {12}
    async with db.session() as session:
        pending = await queries.pending_updates(session)
    assert [row.update_id for row in pending] == [10, 11, 12]
    assert pending[0].received_at == NOW


async def test_an_update_is_handled_once_and_its_text_forgotten(db: Database) -> None:
    async with db.session() as session, session.begin():
        await queries.store_updates(session, [(20, 7, {"message": {"text": "hej"}})], NOW)
    async with db.session() as session, session.begin():
        assert await queries.mark_handled(session, 20, NOW)
    async with db.session() as session, session.begin():
        assert not await queries.mark_handled(session, 20, NOW)
        assert await queries.count_pending_updates(session) == 0
        rows = await queries.pending_updates(session)
    assert rows == []
    async with db.session() as session:
        stored = await session.get(queries.InboxUpdate, 20)
    assert stored is not None and stored.payload is None and stored.outcome == "ok"


async def test_two_workers_racing_for_one_update_only_one_wins(db: Database) -> None:
    async with db.session() as session, session.begin():
        await queries.store_updates(session, [(30, 1, {"u": 30})], NOW)

    async def try_to_handle() -> bool:
        async with db.session() as session, session.begin():
            won = await queries.mark_handled(session, 30, NOW)
            await asyncio.sleep(0.05)
            return won

    results = await asyncio.gather(try_to_handle(), try_to_handle())
    assert sorted(results) == [False, True]


async def test_outbox_keeps_order_postpones_and_gives_up(db: Database) -> None:
    async with db.session() as session, session.begin():
        for text in ("one", "two"):
            queries.add_outgoing(
                session, chat_id=99, method="sendMessage", params={"text": text}, now=NOW
            )
        queries.add_outgoing(
            session, chat_id=98, method="sendMessage", params={"text": "x"}, now=NOW
        )
    async with db.session() as session, session.begin():
        first, second = await queries.outgoing_for_chat(session, 99)
        assert (first.params, second.params) == ({"text": "one"}, {"text": "two"})
        await queries.postpone(session, first.id, NOW + timedelta(seconds=3), "RetryAfter 3")
    async with db.session() as session, session.begin():
        same = (await queries.outgoing_for_chat(session, 99, limit=1))[0]
        assert same.id == first.id
        assert same.attempts == 1 and same.not_before == NOW + timedelta(seconds=3)
        owed = await queries.outgoing_chats(session)
        assert sorted(chat for chat, _ in owed) == [98, 99]
        assert dict(owed)[99] == first.id
        await queries.delivered(session, [same.id])
    async with db.session() as session, session.begin():
        (left,) = await queries.outgoing_for_chat(session, 99)
        assert left.params == {"text": "two"}
        await queries.give_up(session, left.id, NOW, "BadRequest")
    async with db.session() as session:
        assert await queries.outgoing_for_chat(session, 99) == []
        assert await queries.count_outgoing(session) == 1


async def test_many_updates_are_marked_handled_at_once_but_only_once(db: Database) -> None:
    async with db.session() as session, session.begin():
        await queries.store_updates(session, [(i, i, {"u": i}) for i in range(40, 45)], NOW)
        assert await queries.mark_handled(session, 41, NOW)
    async with db.session() as session, session.begin():
        won = await queries.mark_handled_many(session, [40, 41, 42, 99], NOW)
    assert won == {40, 42}


async def test_residents_are_fetched_for_many_users_at_once(db: Database) -> None:
    async with db.session() as session, session.begin():
        for user in (1, 2, 3):
            await queries.meet_resident(
                session, telegram_user_id=user, chat_id=user, locale="sv", now=NOW
            )
    async with db.session() as session:
        found = await queries.residents_by_user(session, [1, 3, 4])
    assert sorted(found) == [1, 3, 4] and found[4] is None
    assert found[3] is not None and found[3].telegram_user_id == 3


async def test_resident_is_met_once_and_remembered(db: Database) -> None:
    async with db.session() as session, session.begin():
        resident, new = await queries.meet_resident(
            session, telegram_user_id=2**40, chat_id=2**40, locale="ar", now=NOW
        )
        assert new
        resident.step, resident.step_data = "choose-language", {"page": 2}
    later = NOW + timedelta(hours=1)
    async with db.session() as session, session.begin():
        again, new = await queries.meet_resident(
            session, telegram_user_id=2**40, chat_id=2**40, locale="sv", now=later
        )
    assert not new
    assert (again.locale, again.step, again.step_data) == ("ar", "choose-language", {"page": 2})
    assert again.first_seen == NOW and again.last_seen == later


async def test_forgetting_a_resident_without_a_case_leaves_nothing(db: Database) -> None:
    async with db.session() as session, session.begin():
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=77, chat_id=77, locale="so", now=NOW
        )
        remember_text(resident, "waxaan u baahanahay caawimo", NOW)
        assert await queries.forget_resident(session, resident)
    async with db.session() as session:
        assert await queries.find_resident(session, 77) is None
        assert await session.scalar(select(func.count()).select_from(Resident)) == 0


async def test_forgetting_a_resident_with_a_case_keeps_the_case_and_its_way_back(
    db: Database,
) -> None:
    async with db.session() as session, session.begin():
        resident, _ = await queries.meet_resident(
            session, telegram_user_id=78, chat_id=78, locale="ar", now=NOW
        )
        resident.source = "library-poster"
        remember_text(resident, "أحتاج مساعدة", NOW)
        case, _ = await casework.open_case(
            session, resident_id=resident.id, kind="person", category=None, language="ar",
            excerpt=["أحتاج مساعدة"], now=NOW,
        )
        assert not await queries.forget_resident(session, resident)
    async with db.session() as session:
        kept = await queries.find_resident(session, 78)
        assert kept is not None
        assert (kept.recent_texts, kept.source, kept.locale, kept.chat_id) == (None, None, "ar", 78)
        assert (await casework.active_case(session, kept.id)).id == case.id  # type: ignore[union-attr]


async def test_one_resident_per_telegram_user(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            for _ in range(2):
                session.add(
                    queries.Resident(
                        telegram_user_id=5,
                        chat_id=5,
                        locale="sv",
                        first_seen=NOW,
                        last_seen=NOW,
                        step="",
                        step_data={},
                    )
                )
                await session.flush()


async def test_start_sources_are_counted_per_day(db: Database) -> None:
    day = date(2026, 11, 23)
    async with db.session() as session, session.begin():
        for source in ("library", "library", "poster"):
            await queries.count_start(session, source, day)
        await queries.count_start(session, "library", day + timedelta(days=1))
    async with db.session() as session:
        counts = await queries.start_counts(session)
    assert counts == [
        ("library", day + timedelta(days=1), 1),
        ("library", day, 2),
        ("poster", day, 1),
    ]


async def test_staff_are_added_listed_and_removed(db: Database) -> None:
    async with db.session() as session, session.begin():
        await queries.add_staff_member(
            session, telegram_user_id=7, name="Sara", role="caseworker", now=NOW
        )
        await queries.add_staff_member(
            session, telegram_user_id=8, name="Ali", role="admin", now=NOW
        )
    async with db.session() as session, session.begin():
        assert await queries.remove_staff_member(session, 7, NOW)
        assert not await queries.remove_staff_member(session, 7, NOW)
        assert await queries.active_staff_member(session, 7) is None
        assert [m.name for m in await queries.list_staff(session)] == ["Ali"]
        assert [m.name for m in await queries.list_staff(session, include_removed=True)] == [
            "Ali",
            "Sara",
        ]
    async with db.session() as session, session.begin():
        back = await queries.add_staff_member(
            session, telegram_user_id=7, name="Sara L", role="supervisor", now=NOW
        )
    assert back.removed_at is None and back.role == "supervisor"


async def test_database_refuses_an_unknown_staff_role(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            await queries.add_staff_member(
                session, telegram_user_id=9, name="X", role="janitor", now=NOW
            )


async def test_unanswered_questions_are_kept_then_forgotten(db: Database) -> None:
    async with db.session() as session, session.begin():
        await queries.keep_unanswered(session, text="parkeringsböter?", language="sv", now=NOW)
        await queries.keep_unanswered(
            session, text="old", language="en", now=NOW - timedelta(days=100)
        )
    async with db.session() as session, session.begin():
        assert await queries.forget_unanswered(session, NOW - timedelta(days=90)) == 1
        kept = await queries.unanswered_since(session, NOW - timedelta(days=365))
    assert [(q.text, q.language) for q in kept] == [("parkeringsböter?", "sv")]


async def test_usage_is_counted_per_week_kind_service_language_and_source(db: Database) -> None:
    week = date(2026, 11, 23)
    async with db.session() as session, session.begin():
        for _ in range(3):
            await queries.count_usage(
                session, week=week, kind="search", service_id="financial-aid", language="ar",
                source="library",
            )
        await queries.count_usage(
            session, week=week, kind="open", service_id="financial-aid", language="ar", source=""
        )
    async with db.session() as session:
        rows = await queries.usage_since(session, week)
    assert [(r.kind, r.service_id, r.language, r.source, r.count) for r in rows] == [
        ("open", "financial-aid", "ar", "", 1),
        ("search", "financial-aid", "ar", "library", 3),
    ]
