"""What scoring concluded: signals (with evidence) and daily health scores."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow
from bot.models.book import MONEY

SIGNAL_STATUSES = ("active", "resolved")


class Signal(OrgOwned, Base):
    """One situation on one account. `key` tells two situations of the same kind apart (a contact id
    for stakeholder_left); the row lives on while the situation does, so it is announced once."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("org_id", "account_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    key: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[int]  # 1 low, 2 medium, 3 high, 4 critical
    value_at_stake: Mapped[Decimal | None] = mapped_column(MONEY)
    title: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    next_steps: Mapped[dict[str, Any]] = mapped_column(default=dict)  # by role: am, csm
    status: Mapped[str] = mapped_column(String(16), default="active")
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    # The severity last put in front of people; a signal is announced again only when it worsens.
    announced_severity: Mapped[int | None]
    announced_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    # "Done" on a digest item: quiet until the situation gets worse than it was when handled.
    handled_at: Mapped[datetime | None]


class HealthScore(OrgOwned, Base):
    __tablename__ = "health_scores"
    __table_args__ = (UniqueConstraint("account_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    score: Mapped[int]
    components: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ModelText(OrgOwned, Base):
    """A text the language model wrote (an account brief, a digest opening), cached by the hash of its
    masked input so unchanged data costs no model call. The masked input is kept so the team can see
    exactly what the model was sent; the unmasked text is never stored here."""

    __tablename__ = "model_texts"
    __table_args__ = (UniqueConstraint("org_id", "purpose", "input_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # brief | opening
    input_hash: Mapped[str] = mapped_column(String(64))
    masked_input: Mapped[str] = mapped_column(Text)
    output: Mapped[str] = mapped_column(Text)  # masked, as the model wrote it
    model: Mapped[str] = mapped_column(String(100))
    prompt_version: Mapped[str] = mapped_column(String(32))
    tokens: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
