"""members.working_days: the weekdays a member's digest goes out on (NULL: their locale's working week)

Revision ID: 0009_member_working_days
Revises: 0008_planned_digests
Create Date: 2026-11-29 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_member_working_days"
down_revision: str | Sequence[str] | None = "0008_planned_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("working_days", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("working_days")
