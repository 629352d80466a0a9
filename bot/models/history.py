"""ARR history: every ARR and renewal-date value an account had, with the day it took effect.

Written by the sync when it sees a change (and at first sight), and from a contracts/subscriptions export
for the time before Tandem was connected. The outcome indicators (renewal rate, GRR, NRR) read only this.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow
from bot.models.book import MONEY


class ArrChange(OrgOwned, Base):
    """The account's ARR and renewal date from `effective_on` on. Absolute values, never deltas: the same
    change seen in a contracts file and by a sync adds nothing twice."""

    __tablename__ = "arr_history"
    __table_args__ = (
        UniqueConstraint("org_id", "origin", "external_id"),
        Index("ix_arr_history_account_day", "account_id", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    effective_on: Mapped[date]
    arr: Mapped[Decimal | None] = mapped_column(MONEY)
    renewal_date: Mapped[date | None]
    # first_seen (a sync's first sight: no change is implied) | change (a later sync saw another value)
    # | new | renewal | expansion | contraction | churn (as a contracts file says)
    kind: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))  # sync | contracts
    # A contract's id (contracts), or "<source>:<account>:<sync run>" (sync): re-reading a file adds nothing.
    external_id: Mapped[str] = mapped_column(String(300))
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
