"""deliveries.message: the rendered message, kept until it is sent, so a failed alert or handoff is retried

Revision ID: 0003_delivery_message
Revises: 0002_member_muted_kinds
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_delivery_message"
down_revision: str | Sequence[str] | None = "0002_member_muted_kinds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("message", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("message")
