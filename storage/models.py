"""The tables. Store the minimum: no names or message text of residents beyond what a flow needs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC; refuse naive times, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as an aware UTC time."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STAFF_ROLES = ("caseworker", "supervisor", "admin")


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations stay reviewable."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        # None is stored as SQL NULL, not as the JSON text 'null'.
        dict[str, Any]: JSON(none_as_null=True),
        list[str]: JSON(none_as_null=True),
    }


class Resident(Base):
    """Someone who wrote to the bot. Only what the conversation needs: ids, language, step."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    locale: Mapped[str] = mapped_column(String(8))
    locale_chosen: Mapped[bool] = mapped_column(default=False)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    # Where the conversation is, so a restart resumes it: a flow's step name and its values.
    step: Mapped[str] = mapped_column(String(64), default="")
    step_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The deep-link source of the first /start (a poster, a library), never more.
    source: Mapped[str | None] = mapped_column(String(64))
    blocked_at: Mapped[datetime | None]
    # The last few things the resident wrote (at most a day old), shown to staff if the
    # conversation is handed to a person. Nothing older is kept.
    recent_texts: Mapped[list[dict[str, str]] | None] = mapped_column(JSON(none_as_null=True))
    # Their own named contact at social services (None: the reception team answers), and
    # how they prefer to talk: phone, video, in-person or chat.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    contact_since: Mapped[datetime | None]
    preferred_how: Mapped[str | None] = mapped_column(String(16))


class StaffMember(Base):
    """A person at social services who may claim and answer cases."""

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("role IN ('caseworker', 'supervisor', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    added_at: Mapped[datetime]
    # Kept after removal so the audit log still says who did what.
    removed_at: Mapped[datetime | None]


class InboxUpdate(Base):
    """A Telegram update, stored before Telegram hears that we have it."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_pending", "handled_at", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_key: Mapped[int] = mapped_column(BigInteger)
    # Cleared once handled: the update id alone is enough to refuse a repeat.
    payload: Mapped[dict[str, Any] | None]
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))


class OutboxMessage(Base):
    """A Bot API call we owe someone, written in the same transaction as the decision."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "failed_at", "chat_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    # When the update that caused this arrived; reply latency is measured from there.
    caused_at: Mapped[datetime | None]
    not_before: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    failed_at: Mapped[datetime | None]
    # What to remember once Telegram accepts the call, e.g. {"case_post": 12}: the message
    # it creates is then recorded as a post about case 12.
    purpose: Mapped[dict[str, Any] | None]


class StartSource(Base):
    """How many people started the bot from one deep link (a poster, a leaflet) on one day."""

    __tablename__ = "start_sources"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    starts: Mapped[int] = mapped_column(default=0)


class UnansweredQuestion(Base):
    """A question the catalogue had no good answer to: scrubbed text, language and time only."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (Index("ix_unanswered_asked_at", "asked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Personal identity numbers, phone numbers and e-mail addresses are removed first.
    text: Mapped[str] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(8))
    asked_at: Mapped[datetime]


class UsageCount(Base):
    """How often something happened in one week: anonymous counts, no resident attached."""

    __tablename__ = "usage_counts"

    # Monday of the ISO week, in the municipality's time zone.
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    # "search" (the best service found, or "" when none was good) or "open" (a card read).
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    # The deep link the resident first came from, or "" for none.
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


CASE_KINDS = ("urgent", "person")
CASE_STATUSES = ("open", "claimed", "closed")


class Case(Base):
    """A resident handed to a person: urgent (from triage) or asked for ("Talk to a person")."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("kind IN ('urgent', 'person')", name="kind"),
        CheckConstraint("status IN ('open', 'claimed', 'closed')", name="status"),
        # At most one case per resident that is not closed: the database decides.
        Index(
            "uq_cases_one_active_per_resident",
            "resident_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_cases_status", "status", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # 0: not escalated; 1: sent again to on-call staff; 2: the resident was reminded of 112.
    escalation: Mapped[int] = mapped_column(default=0)
    # What the resident wrote just before (a few messages), for the staff; cleared on close.
    excerpt: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))


class CasePost(Base):
    """A message about a case in a staff chat; a staff reply to it reaches that case."""

    __tablename__ = "case_posts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # A message with the case's buttons: {"kind": "card", "head": ...} for a case card
    # (first or escalated; "head" is its first line, as a flow text), {"kind": "reminder"}
    # for a reminder. They are edited when someone claims or closes the case.
    card: Mapped[dict[str, Any] | None]


class Timer(Base):
    """Something to do at a time (escalate a case, remind of 112), surviving restarts."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_due", "done_at", "due_at"),
        # One pending morning digest of check-in answers, however many processes start it.
        Index(
            "uq_timers_one_digest",
            "kind",
            unique=True,
            sqlite_where=text("kind = 'checkin-digest' AND done_at IS NULL"),
            postgresql_where=text("kind = 'checkin-digest' AND done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # A timer about a resident with no case yet (a question "are you safe?" unanswered).
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    # A reminder of a booked call (24 hours and 1 hour before).
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    # The next check-in of a resident's plan.
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin_plans.id"))
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


FEEDBACK_KINDS = ("missed", "false-alarm", "asked")


class TriageFeedback(Base):
    """What real use says about triage: a miss, a false alarm, an answer to "are you safe?".

    No resident and no case is attached: the text is scrubbed like a kept question, and
    the row goes after the same retention time. ``nara report triage`` reads these.
    """

    __tablename__ = "triage_feedback"
    __table_args__ = (
        CheckConstraint("kind IN ('missed', 'false-alarm', 'asked')", name="kind"),
        Index("ix_triage_feedback_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    # Who said so: "staff" (a mark on a case), "resident" (an urgent message right after a
    # calm reply, or an answer to the question), "timer" (no answer to the question).
    source: Mapped[str] = mapped_column(String(16))
    # The answer to "are you safe?": "danger", "later", "ok" or "none".
    answer: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    # What triage said of the message: "urgent", "ask" or "calm", and its category.
    level: Mapped[str] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(String(1000))


class AuditEntry(Base):
    """Who did what to which case, and when. Kept when staff are removed."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_case", "case_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


BOOKING_WAYS = ("phone", "video", "in-person", "chat")
BOOKING_STATES = ("booked", "cancelled")
# Bookings take the staff member's time in cells of this many minutes: a unique key on
# (staff, cell) lets the database itself refuse two bookings that overlap.
CELL_MINUTES = 5


class Invite(Base):
    """A one-time link that makes a staff member a resident's named contact."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # SHA-256 of the code in the link: the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))


class StaffHours(Base):
    """When a staff member takes calls: weekly hours and the rules around each call."""

    __tablename__ = "staff_hours"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    # The notation of flows/calls/availability.py: "mon-fri 09:00-12:00,13:00-16:00".
    weekly: Mapped[str] = mapped_column(String(400))
    meeting_minutes: Mapped[int] = mapped_column(default=30)
    buffer_minutes: Mapped[int] = mapped_column(default=10)
    notice_minutes: Mapped[int] = mapped_column(default=120)
    window_days: Mapped[int] = mapped_column(default=14)
    updated_at: Mapped[datetime]


class StaffDay(Base):
    """One day that differs from the weekly hours: a day off, a sick day, or a day opened."""

    __tablename__ = "staff_days"
    __table_args__ = (
        Index("uq_staff_days_staff_day", "staff_id", "day", unique=True),
        CheckConstraint("kind IN ('off', 'sick', 'open')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))
    # For an opened day: its hours ("10:00-14:00"); empty for a day off.
    hours: Mapped[str] = mapped_column(String(200), default="")


class Booking(Base):
    """A call a resident booked with a staff member."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_staff_start", "staff_id", "start_at"),
        CheckConstraint("how IN ('phone', 'video', 'in-person', 'chat')", name="how"),
        CheckConstraint("status IN ('booked', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    start_at: Mapped[datetime]
    minutes: Mapped[int]
    how: Mapped[str] = mapped_column(String(16))
    # Kept only until the call has passed (a phone call's number).
    phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="booked")
    # The calendar file's UID stays; SEQUENCE rises with each change (RFC 5545).
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BookingCell(Base):
    """A booked call's time, cut in cells: the primary key refuses a double booking."""

    __tablename__ = "booking_cells"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    cell_at: Mapped[datetime] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)


CHECKIN_STATES = ("offered", "active", "paused", "stopped", "declined", "done")
# A resident has at most one plan in these states at a time.
LIVE_CHECKIN_STATES = ("offered", "active", "paused")


class CheckinPlan(Base):
    """A resident's follow-up check-ins: offered by staff, started only when they say yes."""

    __tablename__ = "checkin_plans"
    __table_args__ = (
        CheckConstraint(
            "status IN ('offered', 'active', 'paused', 'stopped', 'declined', 'done')",
            name="status",
        ),
        Index(
            "uq_checkin_plans_live",
            "resident_id",
            unique=True,
            sqlite_where=text("status IN ('offered', 'active', 'paused')"),
            postgresql_where=text("status IN ('offered', 'active', 'paused')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    # The plan's name in catalogue/checkins.yaml.
    plan: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default="offered")
    offered_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    offered_at: Mapped[datetime]
    # When the resident said yes: every step is counted from this day.
    started_at: Mapped[datetime | None]
    # morning, midday or evening, in the municipality's time zone.
    time_of_day: Mapped[str | None] = mapped_column(String(8))
    # The step whose check-in comes next (0 before the first).
    next_step: Mapped[int] = mapped_column(default=0)
    next_due: Mapped[datetime | None]
    # Check-ins in a row with no answer (two: the contact's digest says so).
    unanswered: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class CheckinAnswer(Base):
    """One check-in sent, and what the resident answered (a face, "call me", a few words)."""

    __tablename__ = "checkin_answers"
    __table_args__ = (Index("uq_checkin_answers_step", "plan_id", "step", unique=True),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("checkin_plans.id"))
    step: Mapped[int]
    sent_at: Mapped[datetime]
    # "1" (very bad) .. "5" (very good), or "call": the resident asked to be called.
    answer: Mapped[str | None] = mapped_column(String(8))
    # What they wrote to the check-in, scrubbed of personal numbers like kept questions.
    words: Mapped[str | None] = mapped_column(String(2000))
    answered_at: Mapped[datetime | None]
