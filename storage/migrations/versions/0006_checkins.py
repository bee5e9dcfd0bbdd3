"""Check-in plans and answers; timers that send a plan's next check-in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LIVE = "status IN ('offered', 'active', 'paused')"
DIGEST = "kind = 'checkin-digest' AND done_at IS NULL"
FK_TIMERS = "fk_timers_checkin_id_checkin_plans"


def upgrade() -> None:
    op.create_table(
        "checkin_plans",
        sa.Column("id", ID, nullable=False),
        sa.Column("resident_id", ID, nullable=False),
        sa.Column("plan", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("offered_by", ID, nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_of_day", sa.String(length=8), nullable=True),
        sa.Column("next_step", sa.Integer(), nullable=False),
        sa.Column("next_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'active', 'paused', 'stopped', 'declined', 'done')",
            name=op.f("ck_checkin_plans_status"),
        ),
        sa.ForeignKeyConstraint(
            ["offered_by"], ["staff.id"], name=op.f("fk_checkin_plans_offered_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_checkin_plans_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_plans")),
    )
    with op.batch_alter_table("checkin_plans", schema=None) as batch_op:
        batch_op.create_index(
            "uq_checkin_plans_live",
            ["resident_id"],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )

    op.create_table(
        "checkin_answers",
        sa.Column("id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("words", sa.String(length=2000), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["checkin_plans.id"], name=op.f("fk_checkin_answers_plan_id_checkin_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_answers")),
    )
    with op.batch_alter_table("checkin_answers", schema=None) as batch_op:
        batch_op.create_index("uq_checkin_answers_step", ["plan_id", "step"], unique=True)

    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_id", ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f(FK_TIMERS), "checkin_plans", ["checkin_id"], ["id"])
        batch_op.create_index(
            "uq_timers_one_digest",
            ["kind"],
            unique=True,
            sqlite_where=sa.text(DIGEST),
            postgresql_where=sa.text(DIGEST),
        )


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("uq_timers_one_digest")
        batch_op.drop_constraint(batch_op.f(FK_TIMERS), type_="foreignkey")
        batch_op.drop_column("checkin_id")
    with op.batch_alter_table("checkin_answers", schema=None) as batch_op:
        batch_op.drop_index("uq_checkin_answers_step")
    op.drop_table("checkin_answers")
    with op.batch_alter_table("checkin_plans", schema=None) as batch_op:
        batch_op.drop_index("uq_checkin_plans_live")
    op.drop_table("checkin_plans")
