"""accounts.country: the customer's country (ISO 3166 code), whose public holidays usage is read against

Revision ID: 0007_account_country
Revises: 0006_account_answers
Create Date: 2026-11-29 05:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_account_country"
down_revision: str | Sequence[str] | None = "0006_account_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("country")
