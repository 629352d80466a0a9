"""Reading the book out of storage as scoring snapshots: one query per table, grouped in memory.

No per-account query loops: the nightly rescore of a large book is a handful of range scans per batch of
accounts (`snapshot_batches`: account id ranges, so memory holds one batch whatever the book's size).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
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
# An account's own columns the snapshot needs, read as plain rows (no ORM identity map to grow).
ACCOUNT_COLUMNS = (
    Account.id,
    Account.external_id,
    Account.name,
    Account.domain,
    Account.arr,
    Account.currency,
    Account.plan,
    Account.seats_purchased,
    Account.renewal_date,
    Account.segment,
    Account.country,
    Account.am_email,
    Account.csm_email,
)
BATCH_ACCOUNTS = 2_000  # accounts per batch of a full rescore: ~250k usage rows at most in memory


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def load_snapshots(
    session: Session, org_id: int, as_of: date, account_ids: Iterable[int] | None = None
) -> list[AccountSnapshot]:
    """Snapshots of the org's accounts (or of the given ones) as of the end of `as_of`, in one list: for
    a few accounts. A whole book is read in batches (snapshot_batches)."""
    if account_ids is None:
        return [snap for batch in snapshot_batches(session, org_id, as_of) for snap in batch]
    ids = list(account_ids)
    if not ids:
        return []
    query = select(*ACCOUNT_COLUMNS).where(Account.org_id == org_id, Account.id.in_(ids)).order_by(Account.id)
    accounts = list(session.connection().execute(query))
    # A scoped read filters on its accounts alone (already checked to be the org's): with the org in the
    # filter too, SQLite picks the (org, day) index and scans every account's rows.
    return _snapshots(session, org_id, as_of, accounts, lambda column: column.in_([a.id for a in accounts]))


def snapshot_batches(
    session: Session, org_id: int, as_of: date, batch_size: int = BATCH_ACCOUNTS
) -> Iterator[list[AccountSnapshot]]:
    """The org's snapshots in batches of consecutive account ids: each batch's rows are read by an id
    range (an index range scan, no IN list) and dropped before the next batch is read."""
    after = 0
    while True:
        query = (
            select(*ACCOUNT_COLUMNS)
            .where(Account.org_id == org_id, Account.id > after)
            .order_by(Account.id)
            .limit(batch_size)
        )
        accounts = list(session.connection().execute(query))
        if not accounts:
            return
        low, high = accounts[0].id, accounts[-1].id
        yield _snapshots(session, org_id, as_of, accounts, lambda column, lo=low, hi=high: column.between(lo, hi))
        after = high


def _snapshots(
    session: Session,
    org_id: int,
    as_of: date,
    accounts: list[Any],  # rows of ACCOUNT_COLUMNS
    in_scope: Any,
) -> list[AccountSnapshot]:
    """The snapshots of `accounts`; `in_scope(column)` filters a child table's account_id to them."""
    if not accounts:
        return []
    scope: Callable[[Any], ColumnElement[bool]] = in_scope
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
        ).where(Contact.org_id == org_id, scope(Contact.account_id))
    ):
        account_id, *fields = rc
        contacts[account_id].append(ContactView(*fields))
    usage: dict[int, list[UsagePoint]] = defaultdict(list)
    last_year: dict[int, list[UsagePoint]] = defaultdict(list)
    year_ago = as_of - timedelta(days=LAST_YEAR_BACK)
    for into, until, days in ((usage, as_of, USAGE_DAYS), (last_year, year_ago, LAST_YEAR_DAYS)):
        for ru in conn.execute(
            select(UsageDay.account_id, UsageDay.day, UsageDay.active_users, UsageDay.seats_used, UsageDay.events)
            .where(scope(UsageDay.account_id))
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
        .where(Ticket.org_id == org_id, scope(Ticket.account_id), Ticket.opened_at < end)
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
        .where(Invoice.org_id == org_id, scope(Invoice.account_id))
        .where(or_(Invoice.issued_at.is_(None), Invoice.issued_at > as_of - timedelta(days=INVOICE_DAYS)))
    ):
        amount = float(ri.amount) if ri.amount is not None else None
        invoices[ri[0]].append(InvoiceView(ri[1], ri[2], ri[3], ri[4], amount, ri[6], ri[7]))
    notes: dict[int, list[NoteView]] = defaultdict(list)
    for rn in conn.execute(
        select(Note.account_id, Note.external_id, Note.created_at, Note.author_email, Note.body)
        .where(Note.org_id == org_id, scope(Note.account_id))
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
