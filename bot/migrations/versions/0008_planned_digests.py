"""planned_digests: each member's digest for each local day, written down before it is due, so a replica
picks up a run whose process died

Revision ID: 0008_planned_digests
Revises: 0007_account_country
Create Date: 2026-11-29 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0008_planned_digests"
down_revision: str | Sequence[str] | None = "0007_account_country"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "planned_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", bot.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", bot.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_planned_digests_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_planned_digests_org_id_organizations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_digests")),
        sa.UniqueConstraint("member_id", "day", name=op.f("uq_planned_digests_member_id_day")),
    )
    with op.batch_alter_table("planned_digests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_planned_digests_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_planned_digests_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_planned_digests_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_table("planned_digests")
