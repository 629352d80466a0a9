"""What scoring sees of one account: plain data, built by the application from storage.

Scoring never touches the database; it is a pure function of these snapshots and a configuration,
so every rule can be tested on hand-made data and the same reading holds on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class ContactView:
    external_id: str
    name: str | None
    email: str | None
    title: str | None
    role: str | None
    is_key: bool
    status: str  # active | left
    left_at: datetime | None = None
    left_evidence: str | None = None  # status | vanished

    @property
    def is_key_stakeholder(self) -> bool:
        return self.is_key or self.role in ("decision_maker", "champion")

    @property
    def active(self) -> bool:
        return self.status == "active" and self.left_at is None


@dataclass(frozen=True)
class UsagePoint:
    day: date
    active_users: int | None
    seats_used: int | None
    events: int | None


@dataclass(frozen=True)
class TicketView:
    external_id: str
    opened_at: datetime
    closed_at: datetime | None
    priority: str | None
    status: str | None
    subject: str | None
    body: str | None
    csat: int | None

    @property
    def is_open(self) -> bool:
        return self.status in (None, "open", "pending") and self.closed_at is None


@dataclass(frozen=True)
class InvoiceView:
    external_id: str
    issued_at: date | None
    due_at: date | None
    paid_at: date | None
    amount: float | None
    currency: str | None
    status: str | None


@dataclass(frozen=True)
class NoteView:
    external_id: str
    created_at: datetime
    author_email: str | None
    body: str | None


@dataclass
class AccountSnapshot:
    account_id: int
    external_id: str
    name: str
    as_of: date
    domain: str | None = None
    arr: float | None = None
    currency: str | None = None
    plan: str | None = None
    seats_purchased: int | None = None
    renewal_date: date | None = None
    segment: str | None = None
    am_email: str | None = None
    csm_email: str | None = None
    country: str | None = None  # ISO 3166 code: its public holidays are left out of usage windows
    contacts: list[ContactView] = field(default_factory=list)
    usage: list[UsagePoint] = field(default_factory=list)  # sorted by day, oldest first
    # The same weeks a year before (as much as the loader reads), oldest first: the season to compare with.
    usage_last_year: list[UsagePoint] = field(default_factory=list)
    tickets: list[TicketView] = field(default_factory=list)
    invoices: list[InvoiceView] = field(default_factory=list)
    notes: list[NoteView] = field(default_factory=list)

    @property
    def days_to_renewal(self) -> int | None:
        return None if self.renewal_date is None else (self.renewal_date - self.as_of).days
