"""Facts about an account as of a given day: the shared reading that health and the rules both use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean

from scoring.snapshot import AccountSnapshot, ContactView, InvoiceView, TicketView

SERIOUS = ("urgent", "high")


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def open_on(ticket: TicketView, day: date) -> bool:
    if ticket.opened_at >= end_of(day):
        return False
    if ticket.closed_at is not None:
        return ticket.closed_at >= end_of(day)
    return ticket.status in (None, "open", "pending")


def contact_active_on(contact: ContactView, day: date) -> bool:
    if contact.left_at is not None:
        return contact.left_at >= end_of(day)
    return contact.status == "active"


@dataclass(frozen=True)
class AccountFacts:
    day: date
    open_serious: list[TicketView]
    serious_opened_30d: list[TicketView]
    old_open_serious: list[TicketView]
    csat_30d: float | None
    csat_prior: float | None  # the 30 days before, to tell a falling CSAT
    failed_invoices: list[InvoiceView]
    overdue_invoices: list[InvoiceView]
    active_key_contacts: list[ContactView]
    days_since_touch: int | None


def read_facts(s: AccountSnapshot, day: date, *, escalation_age_days: int, billing_days: int) -> AccountFacts:
    end = end_of(day)
    tickets = [t for t in s.tickets if t.opened_at < end]
    open_serious = [t for t in tickets if t.priority in SERIOUS and open_on(t, day)]
    month_ago = end - timedelta(days=30)
    recent = [t for t in tickets if t.opened_at >= month_ago]

    def csat(since: datetime, until: datetime) -> float | None:
        scores = [
            t.csat for t in tickets if t.csat is not None and since <= (t.closed_at or t.opened_at) < until
        ]
        return fmean(scores) if scores else None

    invoices = [i for i in s.invoices if i.issued_at is None or i.issued_at <= day]
    failed = [
        i
        for i in invoices
        if i.status == "failed"
        and i.issued_at is not None
        and (day - i.issued_at).days <= billing_days
        and (i.paid_at is None or i.paid_at > day)
    ]
    overdue = [
        i
        for i in invoices
        if i.status not in ("paid", "void", "failed")
        and i.due_at is not None
        and i.due_at < day
        and (i.paid_at is None or i.paid_at > day)
    ]
    touches = [n.created_at for n in s.notes if n.created_at < end]
    return AccountFacts(
        day=day,
        open_serious=open_serious,
        serious_opened_30d=[t for t in recent if t.priority in SERIOUS],
        old_open_serious=[t for t in open_serious if (end - t.opened_at).days > escalation_age_days],
        csat_30d=csat(month_ago, end),
        csat_prior=csat(month_ago - timedelta(days=30), month_ago),
        failed_invoices=failed,
        overdue_invoices=overdue,
        active_key_contacts=[c for c in s.contacts if c.is_key_stakeholder and contact_active_on(c, day)],
        days_since_touch=(day - max(touches).date()).days if touches else None,
    )
