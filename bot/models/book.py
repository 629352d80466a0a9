"""The book of accounts as the sources describe it: accounts, stakeholders, usage, tickets, bills, notes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow

MONEY = Numeric(16, 2)


class Account(OrgOwned, Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("org_id", "external_id"),
        # The account lookup's freshness check reads the newest update per org on every request.
        Index("ix_accounts_org_id_updated_at", "org_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64), default="files")
    name: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(300))
    am_email: Mapped[str | None] = mapped_column(String(320))
    csm_email: Mapped[str | None] = mapped_column(String(320))
    arr: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(8))
    plan: Mapped[str | None] = mapped_column(String(100))
    seats_purchased: Mapped[int | None]
    contract_start: Mapped[date | None]
    renewal_date: Mapped[date | None]
    segment: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 alpha-2: its holidays shape usage
    crm_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class _AccountChild(OrgOwned):
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)


class Contact(_AccountChild, Base):
    """A stakeholder at a customer. left_at is set once, when Tandem first sees the departure."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(32))
    is_key: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    source_updated_at: Mapped[datetime | None]
    # Why Tandem considers the contact gone: "status" (the source says so) or "vanished" (no longer
    # in the source's full export). Text evidence from tickets and notes is scored, not stored here.
    left_at: Mapped[datetime | None]
    left_evidence: Mapped[str | None] = mapped_column(String(32))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageDay(_AccountChild, Base):
    __tablename__ = "usage_days"
    __table_args__ = (UniqueConstraint("account_id", "day"), Index("ix_usage_days_org_day", "org_id", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    active_users: Mapped[int | None]
    seats_used: Mapped[int | None]
    events: Mapped[int | None]


class Ticket(_AccountChild, Base):
    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    priority: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    csat: Mapped[int | None]


class Invoice(_AccountChild, Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[date | None]
    due_at: Mapped[date | None]
    paid_at: Mapped[date | None]
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str | None] = mapped_column(String(16))


class Note(_AccountChild, Base):
    """A CRM note or logged touch (call, meeting, email) on an account."""

    __tablename__ = "notes"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    author_email: Mapped[str | None] = mapped_column(String(320))
    body: Mapped[str | None] = mapped_column(Text)
