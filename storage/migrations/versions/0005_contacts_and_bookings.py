"""Named contacts, invites, staff hours and days, bookings and the cells that keep them apart.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_days",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("hours", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('off', 'sick', 'open')", name=op.f("ck_staff_days_kind")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_days_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_days")),
    )
    with op.batch_alter_table("staff_days", schema=None) as batch_op:
        batch_op.create_index("uq_staff_days_staff_day", ["staff_id", "day"], unique=True)

    op.create_table(
        "staff_hours",
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("weekly", sa.String(length=400), nullable=False),
        sa.Column("meeting_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("notice_minutes", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_hours_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_hours")),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "resident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("uid", sa.String(length=80), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "how IN ('phone', 'video', 'in-person', 'chat')", name=op.f("ck_bookings_how")
        ),
        sa.CheckConstraint("status IN ('booked', 'cancelled')", name=op.f("ck_bookings_status")),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_bookings_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_bookings_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("uid", name=op.f("uq_bookings_uid")),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index("ix_bookings_staff_start", ["staff_id", "start_at"], unique=False)

    op.create_table(
        "invites",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_invites_staff_id_staff")),
        sa.ForeignKeyConstraint(
            ["used_by"], ["residents.id"], name=op.f("fk_invites_used_by_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invites_code_hash")),
    )
    op.create_table(
        "booking_cells",
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cell_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_cells_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_booking_cells_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", "cell_at", name=op.f("pk_booking_cells")),
    )
    with op.batch_alter_table("booking_cells", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booking_cells_booking_id"), ["booking_id"], unique=False
        )

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("contact_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("preferred_how", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_residents_contact_id_staff"), "staff", ["contact_id"], ["id"]
        )

    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "booking_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_timers_booking_id_bookings"), "bookings", ["booking_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_timers_booking_id_bookings"), type_="foreignkey")
        batch_op.drop_column("booking_id")

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_residents_contact_id_staff"), type_="foreignkey")
        batch_op.drop_column("preferred_how")
        batch_op.drop_column("contact_since")
        batch_op.drop_column("contact_id")

    with op.batch_alter_table("booking_cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_cells_booking_id"))

    op.drop_table("booking_cells")
    op.drop_table("invites")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_staff_start")

    op.drop_table("bookings")
    op.drop_table("staff_hours")
    with op.batch_alter_table("staff_days", schema=None) as batch_op:
        batch_op.drop_index("uq_staff_days_staff_day")

    op.drop_table("staff_days")
