"""arr_history: every ARR and renewal-date value an account had, with the day it took effect

Revision ID: 0005_arr_history
Revises: 0004_job_runs
Create Date: 2026-11-29 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0005_arr_history"
down_revision: str | Sequence[str] | None = "0004_job_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "arr_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("arr", sa.Numeric(16, 2), nullable=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("sync_run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_arr_history_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_arr_history_org_id_organizations"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sync_run_id"], ["sync_runs.id"], name=op.f("fk_arr_history_sync_run_id_sync_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arr_history")),
        sa.UniqueConstraint("org_id", "origin", "external_id", name=op.f("uq_arr_history_org_id_origin_external_id")),
    )
    with op.batch_alter_table("arr_history", schema=None) as batch_op:
        batch_op.create_index("ix_arr_history_account_day", ["account_id", "effective_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_arr_history_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_table("arr_history")
