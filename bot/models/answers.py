"""The stored part of each account's `/account` answer, written by the score run, read by requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow


class StoredAnswer(OrgOwned, Base):
    """What the score run already knew about an account (usage figures, stakeholders, recent tickets,
    health, owners), as the answer's JSON. Valid for `day` and until the next sync; signals and handoffs
    change between runs and are always read live."""

    __tablename__ = "account_answers"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date]
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]]
