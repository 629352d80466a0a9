"""Reading the book out of storage as scoring snapshots: one query per table, grouped in memory.

No per-account query loops: the nightly rescore of a large book is a handful of range scans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from bot.models import Account, Contact, Invoice, Note, Ticket, UsageDay
from scoring.snapshot import AccountSnapshot, ContactView, InvoiceView, NoteView, TicketView, UsagePoint

USAGE_DAYS = 130  # the long slope (10 weeks and two) read a month back too, holidays left out
# Last year's same weeks, 52 weeks back (weekdays aligned): the recent and baseline windows, and the same a
# month earlier for the health trend. Only these weeks, not thirteen months: the season to compare with.
LAST_YEAR_BACK = 364
LAST_YEAR_DAYS = 105
TEXT_DAYS = 180
INVOICE_DAYS = 400


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _in_scope(column: Any, account_ids: Iterable[int] | None) -> Any:
    """All of the org's rows for a full rescore (no giant IN list), the given accounts otherwise."""
    return true() if account_ids is None else column.in_(list(account_ids))


def load_snapshots(
    session: Session, org_id: int, as_of: date, account_ids: Iterable[int] | None = None
) -> list[AccountSnapshot]:
    """Snapshots of the org's accounts (or of the given ones) as of the end of `as_of`."""
    query = select(Account).where(Account.org_id == org_id).order_by(Account.id)
    if account_ids is not None:
        account_ids = list(account_ids)
        query = query.where(Account.id.in_(account_ids))
    accounts = list(session.scalars(query))
    ids = [a.id for a in accounts]
    if not ids:
        return []
    end = _start_of(as_of + timedelta(days=1))
    conn = session.connection()  # plain Core rows: the ORM's per-row bookkeeping costs seconds on 1M rows
    # Core selects of plain columns, not ORM entities: a large book has millions of usage rows.
    contacts: dict[int, list[ContactView]] = defaultdict(list)
    for rc in conn.execute(
        select(
            Contact.account_id,
            Contact.external_id,
            Contact.name,
            Contact.email,
            Contact.title,
            Contact.role,
            Contact.is_key,
            Contact.status,
            Contact.left_at,
            Contact.left_evidence,
        ).where(Contact.org_id == org_id, _in_scope(Contact.account_id, account_ids))
    ):
        account_id, *fields = rc
        contacts[account_id].append(ContactView(*fields))
    usage: dict[int, list[UsagePoint]] = defaultdict(list)
    last_year: dict[int, list[UsagePoint]] = defaultdict(list)
    year_ago = as_of - timedelta(days=LAST_YEAR_BACK)
    for into, until, days in ((usage, as_of, USAGE_DAYS), (last_year, year_ago, LAST_YEAR_DAYS)):
        for ru in conn.execute(
            select(UsageDay.account_id, UsageDay.day, UsageDay.active_users, UsageDay.seats_used, UsageDay.events)
            # A scoped rescore filters on its accounts alone (already checked to be the org's): with the org
            # in the filter too, SQLite picks the (org, day) index and scans every account's rows.
            .where(UsageDay.org_id == org_id if account_ids is None else UsageDay.account_id.in_(account_ids))
            .where(UsageDay.day > until - timedelta(days=days), UsageDay.day <= until)
            .order_by(UsageDay.account_id, UsageDay.day)
        ):
            into[ru[0]].append(UsagePoint(*ru[1:]))
    tickets: dict[int, list[TicketView]] = defaultdict(list)
    text_since = _start_of(as_of - timedelta(days=TEXT_DAYS))
    for rt in conn.execute(
        select(
            Ticket.account_id,
            Ticket.external_id,
            Ticket.opened_at,
            Ticket.closed_at,
            Ticket.priority,
            Ticket.status,
            Ticket.subject,
            Ticket.body,
            Ticket.csat,
        )
        .where(Ticket.org_id == org_id, _in_scope(Ticket.account_id, account_ids), Ticket.opened_at < end)
        .where(or_(Ticket.opened_at >= text_since, Ticket.closed_at.is_(None)))
        .order_by(Ticket.opened_at)
    ):
        tickets[rt[0]].append(TicketView(*rt[1:]))
    invoices: dict[int, list[InvoiceView]] = defaultdict(list)
    for ri in conn.execute(
        select(
            Invoice.account_id,
            Invoice.external_id,
            Invoice.issued_at,
            Invoice.due_at,
            Invoice.paid_at,
            Invoice.amount,
            Invoice.currency,
            Invoice.status,
        )
        .where(Invoice.org_id == org_id, _in_scope(Invoice.account_id, account_ids))
        .where(or_(Invoice.issued_at.is_(None), Invoice.issued_at > as_of - timedelta(days=INVOICE_DAYS)))
    ):
        amount = float(ri.amount) if ri.amount is not None else None
        invoices[ri[0]].append(InvoiceView(ri[1], ri[2], ri[3], ri[4], amount, ri[6], ri[7]))
    notes: dict[int, list[NoteView]] = defaultdict(list)
    for rn in conn.execute(
        select(Note.account_id, Note.external_id, Note.created_at, Note.author_email, Note.body)
        .where(Note.org_id == org_id, _in_scope(Note.account_id, account_ids))
        .where(Note.created_at >= text_since, Note.created_at < end)
        .order_by(Note.created_at)
    ):
        notes[rn[0]].append(NoteView(*rn[1:]))
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
            country=a.country,
            am_email=a.am_email,
            csm_email=a.csm_email,
            contacts=contacts[a.id],
            usage=usage[a.id],
            usage_last_year=last_year[a.id],
            tickets=tickets[a.id],
            invoices=invoices[a.id],
            notes=notes[a.id],
        )
        for a in accounts
    ]
