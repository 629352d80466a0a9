"""Reading the book out of storage as scoring snapshots: one query per table, grouped in memory.

No per-account query loops: the nightly rescore of a large book is a handful of range scans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.models import Account, Contact, Invoice, Note, Ticket, UsageDay
from scoring.snapshot import AccountSnapshot, ContactView, InvoiceView, NoteView, TicketView, UsagePoint

USAGE_DAYS = 120
TEXT_DAYS = 180
INVOICE_DAYS = 400


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def load_snapshots(
    session: Session, org_id: int, as_of: date, account_ids: Iterable[int] | None = None
) -> list[AccountSnapshot]:
    """Snapshots of the org's accounts (or of the given ones) as of the end of `as_of`."""
    query = select(Account).where(Account.org_id == org_id).order_by(Account.id)
    if account_ids is not None:
        query = query.where(Account.id.in_(list(account_ids)))
    accounts = list(session.scalars(query))
    ids = [a.id for a in accounts]
    if not ids:
        return []
    end = _start_of(as_of + timedelta(days=1))
    contacts = defaultdict(list)
    for c in session.scalars(select(Contact).where(Contact.org_id == org_id, Contact.account_id.in_(ids))):
        contacts[c.account_id].append(
            ContactView(
                c.external_id,
                c.name,
                c.email,
                c.title,
                c.role,
                c.is_key,
                c.status,
                c.left_at,
                c.left_evidence,
            )
        )
    usage = defaultdict(list)
    for u in session.scalars(
        select(UsageDay)
        .where(UsageDay.org_id == org_id, UsageDay.account_id.in_(ids))
        .where(UsageDay.day > as_of - timedelta(days=USAGE_DAYS), UsageDay.day <= as_of)
        .order_by(UsageDay.account_id, UsageDay.day)
    ):
        usage[u.account_id].append(UsagePoint(u.day, u.active_users, u.seats_used, u.events))
    tickets = defaultdict(list)
    text_since = _start_of(as_of - timedelta(days=TEXT_DAYS))
    for t in session.scalars(
        select(Ticket)
        .where(Ticket.org_id == org_id, Ticket.account_id.in_(ids), Ticket.opened_at < end)
        .where(or_(Ticket.opened_at >= text_since, Ticket.closed_at.is_(None)))
        .order_by(Ticket.opened_at)
    ):
        tickets[t.account_id].append(
            TicketView(
                t.external_id, t.opened_at, t.closed_at, t.priority, t.status, t.subject, t.body, t.csat
            )
        )
    invoices = defaultdict(list)
    for i in session.scalars(
        select(Invoice)
        .where(Invoice.org_id == org_id, Invoice.account_id.in_(ids))
        .where(or_(Invoice.issued_at.is_(None), Invoice.issued_at > as_of - timedelta(days=INVOICE_DAYS)))
    ):
        amount = float(i.amount) if i.amount is not None else None
        invoices[i.account_id].append(
            InvoiceView(i.external_id, i.issued_at, i.due_at, i.paid_at, amount, i.currency, i.status)
        )
    notes = defaultdict(list)
    for n in session.scalars(
        select(Note)
        .where(Note.org_id == org_id, Note.account_id.in_(ids))
        .where(Note.created_at >= text_since, Note.created_at < end)
        .order_by(Note.created_at)
    ):
        notes[n.account_id].append(NoteView(n.external_id, n.created_at, n.author_email, n.body))
    return [
        AccountSnapshot(
            account_id=a.id,
            external_id=a.external_id,
            name=a.name,
            as_of=as_of,
            domain=a.domain,
            arr=float(a.arr) if a.arr is not None else None,
            currency=a.currency,
            plan=a.plan,
            seats_purchased=a.seats_purchased,
            renewal_date=a.renewal_date,
            segment=a.segment,
            am_email=a.am_email,
            csm_email=a.csm_email,
            contacts=contacts[a.id],
            usage=usage[a.id],
            tickets=tickets[a.id],
            invoices=invoices[a.id],
            notes=notes[a.id],
        )
        for a in accounts
    ]
