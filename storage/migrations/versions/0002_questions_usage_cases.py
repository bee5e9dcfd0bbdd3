"""Unanswered questions, usage counts, cases with their posts, timers and audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 06:12:07.571680
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
    )
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.create_index("ix_unanswered_asked_at", ["asked_at"], unique=False)

    op.create_table(
        "usage_counts",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "week", "kind", "service_id", "language", "source", name=op.f("pk_usage_counts")
        ),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "claimed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("escalation", sa.Integer(), nullable=False),
        sa.Column("excerpt", sa.JSON(), nullable=True),
        sa.CheckConstraint("kind IN ('urgent', 'person')", name=op.f("ck_cases_kind")),
        sa.CheckConstraint("status IN ('open', 'claimed', 'closed')", name=op.f("ck_cases_status")),
        sa.ForeignKeyConstraint(
            ["claimed_by"], ["staff.id"], name=op.f("fk_cases_claimed_by_staff")
        ),
        sa.ForeignKeyConstraint(["closed_by"], ["staff.id"], name=op.f("fk_cases_closed_by_staff")),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_cases_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_status", ["status", "opened_at"], unique=False)
        batch_op.create_index(
            "uq_cases_one_active_per_resident",
            ["resident_id"],
            unique=True,
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_audit_log_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_audit_log_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_case", ["case_id", "at"], unique=False)

    op.create_table(
        "case_posts",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_posts_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_case_posts")),
    )
    with op.batch_alter_table("case_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_posts_case_id"), ["case_id"], unique=False)

    op.create_table(
        "timers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_timers_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_due", ["done_at", "due_at"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.JSON(), nullable=True))

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recent_texts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_column("recent_texts")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("purpose")

    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_due")

    op.drop_table("timers")
    with op.batch_alter_table("case_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_posts_case_id"))

    op.drop_table("case_posts")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_case")

    op.drop_table("audit_log")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_cases_one_active_per_resident",
            sqlite_where=sa.text("status != 'closed'"),
            postgresql_where=sa.text("status != 'closed'"),
        )
        batch_op.drop_index("ix_cases_status")

    op.drop_table("cases")
    op.drop_table("usage_counts")
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_index("ix_unanswered_asked_at")

    op.drop_table("unanswered_questions")
