"""job_runs: the last run of each scheduled job per organization, for `tandem status`

Revision ID: 0004_job_runs
Revises: 0003_delivery_message
Create Date: 2026-11-23 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0004_job_runs"
down_revision: str | Sequence[str] | None = "0003_delivery_message"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("started_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", bot.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_job_runs_org_id_organizations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("org_id", "job", name=op.f("uq_job_runs_org_id_job")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_runs_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    op.drop_table("job_runs")
