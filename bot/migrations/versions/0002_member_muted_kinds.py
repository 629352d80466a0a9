"""members.muted_kinds: the signal kinds a member chose not to see in their digest

Revision ID: 0002_member_muted_kinds
Revises: 0001_foundation
Create Date: 2026-11-23 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_member_muted_kinds"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("muted_kinds", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("muted_kinds")
