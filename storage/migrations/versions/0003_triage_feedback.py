"""Triage feedback (misses, false alarms, answers to "are you safe?"); timers for residents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "triage_feedback",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("text", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "kind IN ('missed', 'false-alarm', 'asked')", name=op.f("ck_triage_feedback_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_feedback")),
    )
    with op.batch_alter_table("triage_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_triage_feedback_at", ["at"], unique=False)
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resident_id", _ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_timers_resident_id_residents"), "residents", ["resident_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_timers_resident_id_residents"), type_="foreignkey")
        batch_op.drop_column("resident_id")
    with op.batch_alter_table("triage_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_feedback_at")
    op.drop_table("triage_feedback")
